// The portal's frame fits the demo's page: each time the page's height
// changes, the page asks the portal to resize its frame with resizeWindow,
// the command BX24.fitWindow() sends (docs/bitrix24.md#f-frame-resize). The
// height is that of the page's content, measured on its container as the
// docs advise, so the frame shrinks as well as grows.

// window.name inside a portal frame is "DOMAIN|PROTOCOL|APP_SID".
function portalFrame() {
  if (window.parent === window) return null;
  const m = /^([^|:\s/?#@\\]+(?::\d+)?)\|([01])\|([^|:\s]+)$/.exec(window.name);
  if (!m) return null;
  return { origin: new URL(`${m[2] === '1' ? 'https' : 'http'}://${m[1]}`).origin, appSid: m[3] };
}

/**
 * Keeps the portal's frame as high as content (an element that holds the
 * whole page). Outside a portal frame it does nothing.
 * @param {HTMLElement} content
 */
export function fitPortalFrame(content) {
  const frame = portalFrame();
  if (!frame) return;
  let asked = 0;
  let calls = 0;
  const fit = () => {
    const height = Math.ceil(content.getBoundingClientRect().bottom + window.scrollY);
    if (height === asked) return;
    asked = height;
    // The answer (the frame's new size) is not needed; the key only has to be
    // unique, as the portal's protocol requires one.
    calls += 1;
    const params = JSON.stringify({ width: '100%', height });
    window.parent.postMessage(`resizeWindow:${params}:fit${calls}:${frame.appSid}`, frame.origin);
  };
  new ResizeObserver(fit).observe(content);
  fit();
}

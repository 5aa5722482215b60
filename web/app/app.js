// The demo app: what an app developer's page does with the module. It gives
// load() no auth, so inside the portal's iframe the module asks the portal
// for a token itself.
import { load } from '/dist/markunread.js';

const $ = (id) => document.getElementById(id);

function show(el, text, kind) {
  el.textContent = text;
  el.className = kind;
}

function describe(err) {
  return err && err.code ? `${err.code}: ${err.description}` : String(err);
}

async function main() {
  let client;
  try {
    client = await load();
  } catch (err) {
    show($('status'), `The module did not load: ${describe(err)}`, 'error');
    return;
  }
  show($('status'), 'Ready.', 'muted');
  $('mark').disabled = false;

  $('single').addEventListener('submit', async (event) => {
    event.preventDefault();
    show($('result'), 'sending…', 'muted');
    try {
      const ok = await client.markUnread($('dialog').value, $('message').value);
      show($('result'), String(ok), 'ok');
    } catch (err) {
      show($('result'), describe(err), 'error');
    }
  });
}

main();

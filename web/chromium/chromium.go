// Package chromium is the one way this project starts Debian's chromium:
// for the real-browser tests (web/browsertest) and for make bench
// (tools/bench).
package chromium

import "github.com/chromedp/chromedp"

// Headless returns the allocator options for headless chromium at execPath
// with the fresh profile in profileDir, and without the background traffic
// (updates, sync, QUIC) that a machine with no network refuses connection by
// connection.
func Headless(execPath, profileDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profileDir),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
	}
}

package browsertest

import "github.com/chromedp/chromedp"

// HeadlessChromium is how this project starts Debian's chromium, for the
// browser tests and for make bench: headless, with the fresh profile in
// profileDir, and without the background traffic (updates, sync, QUIC)
// that a machine with no network refuses connection by connection.
func HeadlessChromium(execPath, profileDir string) []chromedp.ExecAllocatorOption {
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

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/markunread/markunread/web/devportal"
)

// ---- 5. a shared bucket ----------------------------------------------------

// The portal's bucket is per portal and source address
// (docs/bitrix24.md#f-rate-bucket): other apps behind the same address spend
// it too. These rows put another app on the bucket (devportal.OtherApp, the
// emulator's -other-app) or leave it partly spent at the start, and set the
// module's figures beside the ideal: the requests a job needs beyond the
// room free at its start, drained at what the others leave,
//
//	ideal = (tabs × ceil(marks/50) − (burst − prefill)) / (rate − the other app's mean rate).

// sharedCase is one condition of part 5.
type sharedCase struct {
	id      string
	other   devportal.OtherApp
	prefill float64
	marks   int // per tab
	tabs    int // tabs of the app on the portal, each with its marks; 0 is 1
}

func (c sharedCase) tabCount() int { return max(1, c.tabs) }

// sharedCases are the conditions, in the order they print.
var sharedCases = []sharedCase{
	{id: "10", other: devportal.OtherApp{PerSecond: 0.5}, marks: 4000},
	{id: "11", other: devportal.OtherApp{PerSecond: 1}, marks: 6000},
	{id: "12", other: devportal.OtherApp{PerSecond: 1.5}, marks: 4000},
	// Bursts of 10 every 10 s: 1 request a second on average, like row 11,
	// but all at once, so that they find the bucket where the module left it;
	// as many marks as row 11, so that the run sees seven bursts.
	{id: "13", other: devportal.OtherApp{Burst: 10, Every: 10 * time.Second}, marks: 6000},
	{id: "14", prefill: 46, marks: 500},
	{id: "15", prefill: 49, marks: 500},
	// What the tabs learn they share (budget.js): one learns, the others
	// start from it. The SDK has no shared budget: no reference here.
	{id: "16", other: devportal.OtherApp{PerSecond: 1}, marks: 2000, tabs: 3},
}

func (c sharedCase) plan() devportal.Config {
	p := standardPlan
	p.OtherApp = c.other
	p.Prefill = c.prefill
	return p
}

func (c sharedCase) name() string {
	marks := formatThousands(c.marks) + " marks"
	if c.tabs > 1 {
		marks = fmt.Sprintf("%d tabs of the app, %s each", c.tabs, marks)
	}
	switch {
	case c.other.PerSecond > 0:
		return fmt.Sprintf("another app at %g request/s, %s", c.other.PerSecond, marks)
	case c.other.Burst > 0:
		return fmt.Sprintf("another app in bursts of %d every %g s (%g request/s on average), %s", c.other.Burst, c.other.Every.Seconds(), c.other.MeanRate(), marks)
	default:
		return fmt.Sprintf("the bucket at %g of %d when the page opens, %s", c.prefill, standardPlan.Burst, marks)
	}
}

// ideal is the job's shortest wall time in seconds (see the part's comment).
func (c sharedCase) ideal() float64 {
	p := c.plan()
	beyond := float64(c.tabCount()*((c.marks+49)/50)) - (float64(p.Burst) - p.Prefill)
	return math.Max(0, beyond) / (p.Rate - p.OtherApp.MeanRate())
}

// max503 is the goal for the module's 503s: 3 + 5% of its requests
// under another app, at most 2 on a bucket found part spent.
func (c sharedCase) max503(requests int) float64 {
	if c.other.IsZero() {
		return 2
	}
	return 3 + 0.05*float64(requests)
}

// sharedRow is one printed row.
type sharedRow struct {
	c        sharedCase
	module   jobRun
	sdk      *jobRun
	wallGoal bool // the 1.15× ideal goal applies
}

func (b *bench) shared(ctx context.Context, sel selection) error {
	fmt.Fprintf(b.out, "\n== 5. A shared bucket: strict emulator, standard plan %g/s burst %d, another app on the same portal and address (the emulator's -other-app) or a bucket part spent at the start; one run each\n",
		standardPlan.Rate, standardPlan.Burst)
	var rows []sharedRow
	for _, c := range sharedCases {
		if !sel.has(c.id) && !sel.has("shared") {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: shared %s: %s ...\n", c.id, c.name())
		m, err := b.bulk(ctx, bulkJob{plan: c.plan(), n: c.marks, tabs: c.tabs})
		if err != nil {
			return fmt.Errorf("row %s: %w", c.id, err)
		}
		row := sharedRow{c: c, module: m, wallGoal: !c.other.IsZero()}
		if b.sdk && c.tabCount() == 1 {
			r, err := b.bulk(ctx, bulkJob{plan: c.plan(), n: c.marks, sdk: true})
			if err != nil {
				return fmt.Errorf("row %s (SDK): %w", c.id, err)
			}
			row.sdk = &r
		}
		fmt.Fprintf(os.Stderr, "bench: shared %s: %s\n", c.id, row.moduleText())
		rows = append(rows, row)
	}

	fmt.Fprintln(b.out)
	fmt.Fprintln(b.out, "| # | condition | module (this build) | ideal | wall / ideal | goal | other app | SDK, explicit batches |")
	fmt.Fprintln(b.out, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		sdk := "n/a: the SDK's bundle is missing (npm ci --prefix web/browsertest/sdk)"
		if r.c.tabCount() > 1 {
			sdk = "-"
		}
		if r.sdk != nil {
			sdk = fmt.Sprintf("%s s, %d × 503 of %d requests, %d lost", secs(r.sdk.wall), r.sdk.s503, r.sdk.requests, r.sdk.n-r.sdk.ok)
		}
		fmt.Fprintf(b.out, "| %s | %s (×1) [%s] | %s | %s s | %s | %s | %s | %s |\n", r.c.id, r.c.name(), r.module.api, r.moduleText(),
			secs(time.Duration(r.c.ideal()*float64(time.Second))), r.ratioText(), r.goalText(), otherText(r.module.server), sdk)
	}
	fmt.Fprintln(b.out, "\nmodule: wall, the 503s of the module's own requests (the emulator counts the other app's apart), marks that did not succeed;")
	fmt.Fprintln(b.out, "ideal: (requests beyond the room free at the start) / (plan rate − the other app's rate), one request per 50 marks;")
	fmt.Fprintln(b.out, "goal: at most 3 + 5% of the module's requests get 503, wall within 1.15× the ideal, nothing lost (a bucket part spent: at most 2 × 503, nothing lost);")
	fmt.Fprintln(b.out, "other app: its requests over the module's run (steady ones wait for room; a refused burst one goes again after 1/rate + 1 s, the official SDK's first wait, when there is room).")
	return nil
}

func (r sharedRow) moduleText() string {
	m := r.module
	pct := 0.0
	if m.requests > 0 {
		pct = 100 * float64(m.s503) / float64(m.requests)
	}
	s := fmt.Sprintf("%s s, %d × 503 of %d requests (%.0f%%), %d lost", secs(m.wall), m.s503, m.requests, pct, m.n-m.ok)
	if len(m.codes) > 0 {
		s += " (" + formatCodes(m.codes) + ")"
	}
	return s
}

func (r sharedRow) ratio() float64 {
	ideal := r.c.ideal()
	if ideal <= 0 {
		return math.NaN()
	}
	return r.module.wall.Seconds() / ideal
}

func (r sharedRow) ratioText() string {
	q := r.ratio()
	if math.IsNaN(q) {
		return "-"
	}
	return strconv.FormatFloat(q, 'f', 2, 64)
}

func (r sharedRow) goalText() string {
	m := r.module
	limit := r.c.max503(m.requests)
	met := float64(m.s503) <= limit && m.ok == m.n
	goal := fmt.Sprintf("≤ %.0f × 503", math.Floor(limit))
	if r.wallGoal {
		met = met && r.ratio() <= 1.15
		goal += ", ≤ 1.15×"
	}
	return fmt.Sprintf("%s: %s", goal, metText(met))
}

func otherText(s devportal.Stats) string {
	if s.OtherRequests == 0 {
		return "-"
	}
	t := fmt.Sprintf("%d requests", s.OtherRequests)
	if s.OtherWaited > 0 {
		t += fmt.Sprintf(", %d waited for room", s.OtherWaited)
	}
	if s.Other503 > 0 {
		t += fmt.Sprintf(", %d × 503 (%d got through)", s.Other503, s.OtherRequests-s.Other503)
	}
	return t
}

// formatThousands writes n with a comma between thousands, as the tables do.
func formatThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

//go:build !(js && wasm)

package unread

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stats fields (Stats.Fields) and the numeric options (Options) are
// listed once, here in the core. The README, the type declarations and the
// bridge's contract say them again for people and compilers; these tests
// keep them in step.

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// section is the text of s from the first line containing start up to the
// next line that starts with end (end excluded).
func section(t *testing.T, s, start, end string) string {
	t.Helper()
	i := strings.Index(s, start)
	require.GreaterOrEqual(t, i, 0, "no %q", start)
	rest := s[i:]
	if j := strings.Index(rest[len(start):], end); j >= 0 {
		return rest[:len(start)+j]
	}
	return rest
}

func statNames() []string {
	var names []string
	for _, f := range (Stats{}).Fields() {
		names = append(names, f.Name)
	}
	return names
}

func TestEveryStatsFieldIsInTheREADMEAndTheDeclarations(t *testing.T) {
	readme := readRepoFile(t, "../../README.md")
	list := regexp.MustCompile("`client.stats\\(\\)` gives `([^`]*)`").FindStringSubmatch(readme)
	require.NotNil(t, list, "README: the sentence \"`client.stats()` gives `...`\"")
	words := regexp.MustCompile(`\w+`).FindAllString(list[1], -1)
	assert.Equal(t, statNames(), words, "README: the stats sentence lists the fields of Stats.Fields, in order")

	dts := readRepoFile(t, "../../js/markunread.d.ts")
	body := section(t, dts, "export interface MarkUnreadStats {", "}")
	var declared []string
	for _, m := range regexp.MustCompile(`(?m)^\s*(\w+)\??:`).FindAllStringSubmatch(body, -1) {
		declared = append(declared, m[1])
	}
	assert.ElementsMatch(t, statNames(), declared, "markunread.d.ts: MarkUnreadStats has exactly the fields of Stats.Fields")
	progress := section(t, dts, "export interface MarkUnreadProgress {", "}")
	for _, name := range []string{"settled", "succeeded", "failed", "queued", "inFlight"} {
		assert.Contains(t, statNames(), name)
		assert.Regexp(t, `(?m)^\s*`+name+`: number;`, progress, "markunread.d.ts: a progress event carries the total %s (the bridge's onSettle)", name)
	}

	doc := readRepoFile(t, "../browser/doc.go")
	assert.Contains(t, doc, "unread.Stats.Fields", "the bridge's contract names the one list of fields")
}

// plain writes a number as the README and the declarations do.
func plain(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestEveryOptionIsInTheREADMEAndTheDeclarationsWithItsDefaultAndBounds(t *testing.T) {
	readme := readRepoFile(t, "../../README.md")
	table := section(t, readme, "| option | default | meaning |", "\n\n")
	dts := readRepoFile(t, "../../js/markunread.d.ts")
	loadOptions := section(t, dts, "export interface LoadOptions {", "\n}")
	doc := readRepoFile(t, "../browser/doc.go")

	for _, o := range Options {
		top, leaf, nested := strings.Cut(o.Name, ".")
		def := "`" + plain(o.Default) + "`"
		if nested {
			def = leaf + ": " + plain(o.Default)
		}
		bounds := plain(o.Min) + " to " + plain(o.Max)

		var row string
		for _, line := range strings.Split(table, "\n") {
			if strings.HasPrefix(line, "| `"+top+"` |") {
				row = line
			}
		}
		if !assert.NotEmpty(t, row, "README: the options table has a row for %s", top) {
			continue
		}
		cells := strings.Split(row, "|")
		assert.Contains(t, cells[2], def, "README: %s's default", o.Name)
		assert.Contains(t, row, bounds, "README: %s's bounds", o.Name)
		if o.Integer {
			assert.Contains(t, row, "integer", "README: %s is an integer", o.Name)
		}

		// The JSDoc comment right above the property in LoadOptions.
		prop := regexp.MustCompile(`(?s)/\*\*((?:[^*]|\*[^/])*)\*/\s*` + regexp.QuoteMeta(top) + `\?:`).FindStringSubmatch(loadOptions)
		if !assert.NotNil(t, prop, "markunread.d.ts: LoadOptions has %s with a comment", top) {
			continue
		}
		comment := strings.Join(strings.Fields(strings.ReplaceAll(prop[1], "*", " ")), " ")
		dtsDefault := "Default " + plain(o.Default)
		if nested {
			dtsDefault = leaf + ": " + plain(o.Default)
		}
		assert.Contains(t, comment, dtsDefault, "markunread.d.ts: %s's default", o.Name)
		assert.Contains(t, comment, bounds, "markunread.d.ts: %s's bounds", o.Name)

		assert.Contains(t, doc, strconv.Quote(o.Name), "browser/doc.go: the bridge's options name %s", o.Name)
	}
}

func TestAnOptionOutOfBoundsIsRefusedInPlainNumbers(t *testing.T) {
	var cfg Config
	err := cfg.Set("timeoutMs", 1e-7)
	require.NotNil(t, err)
	assert.Equal(t, CodeBadOption, err.Code)
	assert.Equal(t, "options.timeoutMs must be a number from 1 to 86400000, not 1e-07", err.Description)
	err = cfg.Set("limits.burst", 1e6)
	require.NotNil(t, err)
	assert.Equal(t, "options.limits.burst must be an integer from 1 to 10000, not 1000000", err.Description)
	assert.True(t, slices.ContainsFunc(Options, func(o Option) bool { return o.Name == "bulkQueueSize" }))
}

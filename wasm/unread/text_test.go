package unread

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The text helpers stand in for strings and unicode/utf8 in the module;
// here they are held to those packages' answers.

// quoteByUTF8 is quote as it was written with unicode/utf8.
func quoteByUTF8(s string) string {
	const most = 40
	long := len(s) > most
	if long {
		n := most
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch c := s[i]; {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x` + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]))
		case c == '"' || c == '\\':
			b.WriteString(`\` + string(c))
		case c < ' ' || c == 0x7f:
			b.WriteString(`\x` + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
	if long {
		b.WriteString("...")
	}
	return b.String()
}

func FuzzTextHelpers(f *testing.F) {
	for _, s := range []string{
		"", "chat29", "https://x", "\x00\x7f\"\\", "é", "\xc3", "\xc0\x80", "\xe0\x80\x80", "\xed\xa0\x80",
		"\xef\xbf\xbd", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
		strings.Repeat("é", 30), strings.Repeat("a", 39) + "€",
	} {
		f.Add(s, "://", int32(0xE9))
	}
	f.Add("a.b.c", ".", int32(0xD800))
	f.Add("", "", int32(0x110000))
	f.Add("x", "xy", int32(-1))
	f.Fuzz(func(t *testing.T, s, sep string, r int32) {
		if got, want := quote(s), quoteByUTF8(s); got != want {
			t.Fatalf("quote(%q) = %s, want %s", s, got, want)
		}
		if got, want := utf8Sequence(s), sequenceByUTF8(s); got != want {
			t.Fatalf("utf8Sequence(%q) = %d, want %d", s, got, want)
		}
		if got, want := string(appendRune([]byte(s), r)), string(utf8.AppendRune([]byte(s), r)); got != want {
			t.Fatalf("appendRune(%q, %#x) = %q, want %q", s, r, got, want)
		}
		b, a, ok := cut(s, sep)
		wb, wa, wok := strings.Cut(s, sep)
		if b != wb || a != wa || ok != wok {
			t.Fatalf("cut(%q, %q) = %q, %q, %v; want %q, %q, %v", s, sep, b, a, ok, wb, wa, wok)
		}
		if hasPrefix(s, sep) != strings.HasPrefix(s, sep) {
			t.Fatalf("hasPrefix(%q, %q) = %v", s, sep, hasPrefix(s, sep))
		}
		if sep != "" && indexByte(s, sep[0]) != strings.IndexByte(s, sep[0]) {
			t.Fatalf("indexByte(%q, %q) = %d", s, sep[0], indexByte(s, sep[0]))
		}
	})
}

// sequenceByUTF8 is the length of the valid character at s's start, or 0.
func sequenceByUTF8(s string) int {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return 0
	}
	return size
}

func TestQuoteEscapesWhatADescriptionMustNotCarryAndCutsLongText(t *testing.T) {
	for in, want := range map[string]string{
		"chat29":                      `"chat29"`,
		"a\"b\\c":                     `"a\"b\\c"`,
		"a\x00b\x7f":                  `"a\x00b\x7f"`,
		"é€😀":                         `"é€😀"`,
		"\xff\xc3(\xed\xa0\x80":       `"\xff\xc3(\xed\xa0\x80"`,
		strings.Repeat("a", 41):       `"` + strings.Repeat("a", 40) + `"...`,
		strings.Repeat("a", 39) + "é": `"` + strings.Repeat("a", 39) + `"...`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

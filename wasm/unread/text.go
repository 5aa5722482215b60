package unread

// Text helpers of the core. The strings, unicode and unicode/utf8 packages
// would do all of this, and each costs the browser module kilobytes for
// the few calls the core makes: strings brings unicode along, whose
// package initialisation keeps Unicode's tables in every module that
// imports it (make size prints what each package weighs). Every valid
// argument, host and answer key here is ASCII, so the helpers work on bytes
// and read UTF-8 only where a caller's text is shown back (quote) or an
// escape writes a character (appendRune).

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// indexByte is the index of the first c in s, or -1.
func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// cut slices s around the first sep: what is before, what is after, and
// whether sep is there at all (strings.Cut).
func cut(s, sep string) (before, after string, found bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lowerASCII lowers A-Z only: every valid dialog id and host is ASCII, and
// a Unicode lower case would bring Unicode's case tables into the module.
func lowerASCII(s string) string {
	b := append(make([]byte, 0, len(s)), s...)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// quote shows a caller's string in a description: in double quotes, cut
// short, with quotes, backslashes, control characters and invalid UTF-8
// escaped. (strconv.Quote does the same with Unicode's tables, which cost
// the module kilobytes for a description.)
func quote(s string) string {
	const most = 40
	long := len(s) > most
	if long {
		n := most
		for n > 0 && s[n]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			n--
		}
		s = s[:n]
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+5)
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			if size := utf8Sequence(s[i:]); size > 0 {
				b = append(b, s[i:i+size]...)
				i += size
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
				i++
			}
			continue
		}
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < ' ' || c == 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
		i++
	}
	b = append(b, '"')
	if long {
		b = append(b, "..."...)
	}
	return string(b)
}

// utf8Sequence is the length of the valid UTF-8 encoding of one character
// at the start of s, or 0 if s does not start with one: the second byte's
// range rules out overlong forms, surrogates and characters past U+10FFFF,
// as in the Unicode Standard's table 3-7 of well-formed byte sequences.
func utf8Sequence(s string) int {
	if s == "" {
		return 0
	}
	c := s[0]
	size, lo, hi := 0, byte(0x80), byte(0xBF)
	switch {
	case c < 0x80:
		return 1
	case 0xC2 <= c && c <= 0xDF:
		size = 2
	case c == 0xE0:
		size, lo = 3, 0xA0
	case c == 0xED:
		size, hi = 3, 0x9F
	case 0xE1 <= c && c <= 0xEF:
		size = 3
	case c == 0xF0:
		size, lo = 4, 0x90
	case c == 0xF4:
		size, hi = 4, 0x8F
	case 0xF1 <= c && c <= 0xF3:
		size = 4
	default:
		return 0
	}
	if len(s) < size || s[1] < lo || s[1] > hi {
		return 0
	}
	for i := 2; i < size; i++ {
		if s[i] < 0x80 || s[i] > 0xBF {
			return 0
		}
	}
	return size
}

// replacementChar is U+FFFD, what a character that cannot be written
// becomes.
const replacementChar = '\uFFFD'

// appendRune appends r's UTF-8 encoding; a surrogate or a value past
// U+10FFFF is written as U+FFFD.
func appendRune(b []byte, r rune) []byte {
	switch {
	case r < 0:
		r = replacementChar
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case 0xD800 <= r && r < 0xE000 || r > 0x10FFFF:
		r = replacementChar
	}
	if r < 0x10000 {
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
}

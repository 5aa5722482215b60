package unread

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// ParseJSON reads a JSON text into the shapes the browser's JSON.parse
// gives and readAnswer reads: map[string]any (a repeated key: the last
// wins), []any, string, float64, bool and nil.
//
// The transport hands the core the answer's text rather than walking the
// browser's parsed object from Go: that walk costs two crossings of the
// JavaScript boundary per key and value, about 1,500 for a batch answer of
// 50 commands, where the text is one. encoding/json would do the same
// work but costs the module hundreds of KB (package doc).
func ParseJSON(text string) (any, error) {
	p := jsonParser{s: text}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.space(); p.i != len(p.s) {
		return nil, p.fail("text after the value")
	}
	return v, nil
}

// maxJSONDepth bounds nesting. A portal answer is four levels deep; a body
// nested deeper than this is not one, and is refused rather than followed.
const maxJSONDepth = 64

type jsonParser struct {
	s string
	i int
}

func (p *jsonParser) fail(what string) error {
	return errors.New("not JSON: " + what + " at byte " + strconv.Itoa(p.i))
}

func (p *jsonParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, error) {
	if p.i >= len(p.s) {
		return nil, p.fail("end of text")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.string()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(p.s)-p.i >= len(lit) && p.s[p.i:p.i+len(lit)] == lit {
			p.i += len(lit)
			switch lit {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
			return nil, nil
		}
	}
	return nil, p.fail("unexpected character")
}

func (p *jsonParser) object(depth int) (any, error) {
	out := map[string]any{}
	if empty, err := p.enter(depth, '}'); err != nil {
		return nil, err
	} else if empty {
		return out, nil
	}
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.fail("expected a key")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail("expected ':'")
		}
		p.i++
		p.space()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		out[k] = v
		if more, err := p.next('}'); err != nil {
			return nil, err
		} else if !more {
			return out, nil
		}
	}
}

func (p *jsonParser) array(depth int) (any, error) {
	out := []any{}
	if empty, err := p.enter(depth, ']'); err != nil {
		return nil, err
	} else if empty {
		return out, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if more, err := p.next(']'); err != nil {
			return nil, err
		} else if !more {
			return out, nil
		}
	}
}

// enter steps into an object or array at depth, whose closing byte is
// end; empty says it closed at once.
func (p *jsonParser) enter(depth int, end byte) (empty bool, err error) {
	if depth > maxJSONDepth {
		return false, p.fail("nesting deeper than " + strconv.Itoa(maxJSONDepth))
	}
	p.i++ // the opening byte
	p.space()
	if p.i < len(p.s) && p.s[p.i] == end {
		p.i++
		return true, nil
	}
	return false, nil
}

// next reads what follows an element of an object or array: ',' (more
// follows) or end (it closed).
func (p *jsonParser) next(end byte) (more bool, err error) {
	p.space()
	if p.i < len(p.s) {
		switch p.s[p.i] {
		case ',':
			p.i++
			p.space()
			return true, nil
		case end:
			p.i++
			return false, nil
		}
	}
	return false, p.fail("expected ',' or '" + string(rune(end)) + "'")
}

// number takes the JSON number grammar exactly (no leading zeros, no '+',
// digits after '.' and 'e'), then converts it as JSON.parse does.
func (p *jsonParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.s) && p.s[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return nil, p.fail("bad number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	f, _ := numberValue(p.s[start:p.i])
	return f, nil
}

// ParseNumber reads a JSON number, as numberValue converts it.
func ParseNumber(text string) (float64, bool) {
	p := jsonParser{s: text}
	if text == "" || !(text[0] == '-' || text[0] >= '0' && text[0] <= '9') {
		return 0, false
	}
	v, err := p.number()
	if err != nil || p.i != len(text) {
		return 0, false
	}
	return v.(float64), true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// numberValue converts a text in the JSON number grammar. It is exact
// (rounded as JSON.parse rounds) when the significant digits fit in 2^53
// and the power of ten is within 10^±22 (one IEEE operation on two exact
// values), which holds for every number a portal sends: ids, counts, Unix
// times with microseconds. Beyond that it is within a few units in the
// last place, and exact says false. strconv.ParseFloat is exact everywhere
// but costs the module its tables and its error type's quoting.
func numberValue(s string) (f float64, exact bool) {
	i, neg := 0, false
	if s[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	digits, exp, dropped := 0, 0, false
	take := func(d byte, fraction bool) {
		switch {
		case digits < 19:
			mant = mant*10 + uint64(d-'0')
			if mant != 0 {
				digits++
			}
			if fraction {
				exp--
			}
		case !fraction:
			exp++ // an integer digit past the 19th: a power of ten more
			dropped = dropped || d != '0'
		default:
			dropped = dropped || d != '0'
		}
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		take(s[i], false)
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			take(s[i], true)
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if s[i] == '+' || s[i] == '-' {
			eneg, i = s[i] == '-', i+1
		}
		e := 0
		for ; i < len(s); i++ {
			if e < 100000 {
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	f = float64(mant)
	exact = mant == 0 || !dropped && mant <= 1<<53 && exp >= -22 && exp <= 22
	for mant != 0 && exp > 0 && !math.IsInf(f, 0) {
		step := min(exp, 22)
		f *= pow10[step]
		exp -= step
	}
	for mant != 0 && exp < 0 && f != 0 {
		step := min(-exp, 22)
		f /= pow10[step]
		exp += step
	}
	if neg {
		f = -f
	}
	return f, exact
}

func (p *jsonParser) digits() int {
	n := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// string reads a quoted string. Text without escapes is sliced, not
// copied; a lone surrogate escape becomes U+FFFD, as the browser's
// TextEncoder makes it on the way into Go.
func (p *jsonParser) string() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", p.fail("control character in a string")
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

func (p *jsonParser) escaped(start int) (string, error) {
	buf := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++ // backslash
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if 0xD800 <= r && r < 0xE000 { // a surrogate (unicode/utf16 would cost the module its tables)
				high := r
				r = utf8.RuneError
				if high < 0xDC00 {
					if low, ok := p.lowSurrogate(); ok {
						r = (high-0xD800)<<10 | (low - 0xDC00) + 0x10000
					}
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

// lowSurrogate takes a following \uDC00-\uDFFF escape, if there is one.
func (p *jsonParser) lowSurrogate() (rune, bool) {
	if len(p.s)-p.i < 6 || p.s[p.i] != '\\' || p.s[p.i+1] != 'u' {
		return 0, false
	}
	save := p.i
	p.i += 2
	r, ok := p.hex4()
	if !ok || r < 0xDC00 || r > 0xDFFF {
		p.i = save
		return 0, false
	}
	return r, true
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

package unread

import (
	"errors"
	"strconv"
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
	closing := "'}'"
	if end == ']' {
		closing = "']'"
	}
	return false, p.fail("expected ',' or " + closing)
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
	buf := append([]byte(nil), p.s[start:p.i]...)
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
				r = replacementChar
				if high < 0xDC00 {
					if low, ok := p.lowSurrogate(); ok {
						r = (high-0xD800)<<10 | (low - 0xDC00) + 0x10000
					}
				}
			}
			buf = appendRune(buf, r)
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

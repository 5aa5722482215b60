package unread

import "math"

// JSON numbers: the grammar, and the conversion to float64 that JSON.parse
// makes, without strconv.ParseFloat (see numberValue).

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
	f = scalePow10(float64(mant), exp)
	exact = mant == 0 || !dropped && mant <= 1<<53 && exp >= -22 && exp <= 22
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

// scalePow10 is f×10^exp, in steps of the exact powers: one IEEE
// operation, rounded once, when exp is within ±22.
func scalePow10(f float64, exp int) float64 {
	for f != 0 && exp > 0 && !math.IsInf(f, 0) {
		step := min(exp, 22)
		f *= pow10[step]
		exp -= step
	}
	for f != 0 && exp < 0 {
		step := min(-exp, 22)
		f /= pow10[step]
		exp += step
	}
	return f
}

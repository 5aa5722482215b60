package devportal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// params are a request's parameters as PHP's $_REQUEST would see them: names are
// case-insensitive (stored lower-case); "name[key]=v" form fields and JSON objects become
// ordered maps (order matters for batch halt).
type params struct {
	scalars map[string]string
	maps    map[string][]kv
}

type kv struct{ k, v string }

func newParams() params {
	return params{scalars: map[string]string{}, maps: map[string][]kv{}}
}

func (p params) get(name string) string { return p.scalars[strings.ToLower(name)] }

func (p params) setMapEntry(name, key, val string) {
	es := p.maps[name]
	if key == "" { // name[]=v: next index, like PHP
		key = strconv.Itoa(len(es))
	}
	for i := range es {
		if es[i].k == key {
			es[i].v = val
			return
		}
	}
	p.maps[name] = append(es, kv{key, val})
}

// addForm parses an x-www-form-urlencoded string into p, keeping order.
func (p params) addForm(s string) {
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || k == "" {
			continue
		}
		if i := strings.IndexByte(k, '['); i > 0 {
			sub := k[i+1:]
			if j := strings.IndexByte(sub, ']'); j >= 0 {
				sub = sub[:j]
			}
			p.setMapEntry(strings.ToLower(k[:i]), sub, v)
			continue
		}
		p.scalars[strings.ToLower(k)] = v
	}
}

// addJSON parses a JSON object body into p, keeping order.
func (p params) addJSON(data []byte) error {
	entries, err := decodeOrdered(data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := strings.ToLower(e.k)
		raw := bytes.TrimSpace(e.raw)
		if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
			sub, err := decodeOrdered(raw)
			if err != nil {
				return err
			}
			for _, s := range sub {
				p.setMapEntry(name, s.k, scalarString(s.raw))
			}
			continue
		}
		p.scalars[name] = scalarString(raw)
	}
	return nil
}

type rawEntry struct {
	k   string
	raw json.RawMessage
}

var errNotObject = errors.New("not a JSON object or array")

// decodeOrdered decodes a JSON object (or array: keys "0", "1", ...) into ordered entries.
func decodeOrdered(data []byte) ([]rawEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	var out []rawEntry
	switch t {
	case json.Delim('{'):
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			out = append(out, rawEntry{kt.(string), raw})
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			out = append(out, rawEntry{strconv.Itoa(i), raw})
		}
	default:
		return nil, errNotObject
	}
	return out, nil
}

// scalarString converts a JSON scalar the way PHP would print it: true -> "1",
// false/null -> "", numbers as written. Nested values are kept as their JSON text.
func scalarString(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "1"
		}
		return ""
	case nil:
		return ""
	default:
		return string(raw)
	}
}

const maxBody = 1 << 20

// parseParams reads the query and, for a request with a body, the body: JSON when the
// Content-Type is application/json or the body starts with '{', else a form. Body values
// override query values, like $_REQUEST with POST after GET. An unparsable JSON body yields
// no body parameters.
func parseParams(r *http.Request) params {
	p := newParams()
	p.addForm(r.URL.RawQuery)
	if r.Body == nil {
		return p
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if len(bytes.TrimSpace(body)) == 0 {
		return p
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" || bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		_ = p.addJSON(body)
		return p
	}
	p.addForm(string(body))
	return p
}

// hasAuthInURL reports whether the URL query carries an "auth" parameter (any case).
func hasAuthInURL(u *url.URL) bool {
	for k := range u.Query() {
		if strings.EqualFold(k, "auth") {
			return true
		}
	}
	return false
}

var phpNumeric = regexp.MustCompile(`^[ \t\n\r\v\f]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?[ \t\n\r\v\f]*$`)
var phpLeadingInt = regexp.MustCompile(`^[ \t\n\r\v\f]*[+-]?[0-9]+`)

// phpIntval converts a string the way PHP's intval does: a numeric string converts as a
// number ("1e3" -> 1000, "12.7" -> 12); otherwise the leading integer counts ("12abc" ->
// 12, "abc" -> 0). Out-of-range values saturate.
func phpIntval(s string) int64 {
	if phpNumeric.MatchString(s) {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			switch {
			case math.IsNaN(f):
				return 0
			case f >= math.MaxInt64:
				return math.MaxInt64
			case f <= math.MinInt64:
				return math.MinInt64
			}
			return int64(f)
		}
	}
	m := strings.TrimLeft(phpLeadingInt.FindString(s), " \t\n\r\v\f")
	if m == "" {
		return 0
	}
	n, err := strconv.ParseInt(m, 10, 64)
	if err != nil { // out of range: saturate by sign
		if strings.HasPrefix(m, "-") {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return n
}

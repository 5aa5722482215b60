package devportal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBatch is the most commands one batch may carry.
const maxBatch = 50

// orderedMap is a PHP array as json_encode writes it (docs/bitrix24.md#f-php-arrays): in
// insertion order; empty, it is []; with keys exactly 0..n-1 in order, a JSON list; else an
// object.
type orderedMap []orderedEntry

type orderedEntry struct {
	key string
	val any
}

// isList reports whether the keys are 0..n-1 in order (as PHP sees them: "0", "1", ...
// are integer keys, "00" or "+1" are not).
func (m orderedMap) isList() bool {
	for i, e := range m {
		if e.key != strconv.Itoa(i) {
			return false
		}
	}
	return true
}

func (m orderedMap) MarshalJSON() ([]byte, error) {
	list := m.isList()
	var b bytes.Buffer
	if list {
		b.WriteByte('[')
	} else {
		b.WriteByte('{')
	}
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		if !list {
			k, _ := json.Marshal(e.key)
			b.Write(k)
			b.WriteByte(':')
		}
		v, err := json.Marshal(e.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	if list {
		b.WriteByte(']')
	} else {
		b.WriteByte('}')
	}
	return b.Bytes(), nil
}

// batchResult is the "result" member of a batch answer.
type batchResult struct {
	Result      orderedMap `json:"result"`
	ResultError orderedMap `json:"result_error"`
	ResultTotal orderedMap `json:"result_total"`
	ResultNext  orderedMap `json:"result_next"`
	ResultTime  orderedMap `json:"result_time"`
}

// batch runs the commands in cmd in order, as CRestProvider::methodsBatch does
// (docs/bitrix24.md#f-batch-shape): each is "method?urlencoded_params" and succeeds or
// fails on its own, checked like a single call (unknown method, then its operating-time
// limit, then the method), and the batch answers 200 either way. A "batch" command fails
// with ERROR_BATCH_METHOD_NOT_ALLOWED; commands past the 50th are not run and each fails
// with ERROR_BATCH_LENGTH_EXCEEDED (docs/bitrix24.md#f-batch-length); with halt truthy the
// first failure stops the batch. result_time has an entry for each command that succeeded,
// with its own method's operating time; the envelope's time is batch's own, which is
// never booked (docs/bitrix24.md#f-otl-batch-exempt), unless batch itself is blocked with
// Config.Blocks (a test aid): then 429. Caller holds mu.
func (p *Portal) batch(prm params, start time.Time) restAnswer {
	procStart := time.Now()
	if p.blocked("batch", procStart) {
		return p.errorAnswer(errOperatingLimit)
	}
	p.stats.Batches++
	// Every command runs as the batch's token's user.
	p.batchUser = p.tokens.user[prm.get("auth")]
	defer func() { p.batchUser = 0 }()
	halt := phpIntval(prm.get("halt")) != 0
	var out batchResult
	for i, c := range prm.maps["cmd"] {
		cmdStart := time.Now()
		var res any
		var e *apiError
		var cmdProcStart, cmdProcEnd time.Time
		method, query, _ := strings.Cut(c.v, "?")
		method = strings.ToLower(strings.TrimSpace(method))
		switch {
		case i >= maxBatch:
			e = errBatchLength
		case method == "batch":
			e = errBatchNotAllowed
		default:
			p.countCommand(method)
			if _, known := methods[method]; !known {
				e = errMethodNotFound
				break
			}
			sub := newParams()
			sub.addForm(query)
			res, e, cmdProcStart, cmdProcEnd = p.call(method, sub)
		}
		if e != nil {
			out.ResultError = append(out.ResultError, orderedEntry{c.k, e})
			if halt {
				break
			}
			continue
		}
		out.Result = append(out.Result, orderedEntry{c.k, res})
		out.ResultTime = append(out.ResultTime, orderedEntry{c.k, p.timeBlockFor(method, cmdStart, cmdProcStart, cmdProcEnd, start)})
	}
	return restAnswer{http.StatusOK, resultBody{out, p.timeBlockFor("batch", start, procStart, time.Now(), start)}}
}

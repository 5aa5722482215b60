package devportal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// maxBatch is the most commands one batch may carry.
const maxBatch = 50

// orderedMap is a JSON object that keeps insertion order. Empty, it encodes as [] —
// what PHP's json_encode gives for an empty array, as the real portal answers for an
// empty result / result_error / result_time.
type orderedMap []orderedEntry

type orderedEntry struct {
	key string
	val any
}

func (m orderedMap) MarshalJSON() ([]byte, error) {
	if len(m) == 0 {
		return []byte("[]"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		v, err := json.Marshal(e.val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
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

// batch runs the commands in cmd in order: each is "method?urlencoded_params" and
// succeeds or fails on its own (HTTP 200 either way). A "batch" command fails with
// ERROR_BATCH_METHOD_NOT_ALLOWED; with halt=1 the first error stops the batch. More
// than 50 commands is HTTP 400 ERROR_BATCH_LENGTH_EXCEEDED and runs nothing. result_time
// has an entry for each command that succeeded. Caller holds mu.
func (p *Portal) batch(prm params, start time.Time) restAnswer {
	p.stats.Batches++
	cmds := prm.maps["cmd"]
	if len(cmds) > maxBatch {
		return p.errorAnswer(errBatchLength, start, "batch")
	}
	halt := phpIntval(prm.get("halt")) != 0
	var out batchResult
	for _, c := range cmds {
		cmdStart := time.Now()
		p.stats.Commands++
		method, query, _ := strings.Cut(c.v, "?")
		method = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(method), ".json"))
		var res any
		var e *apiError
		var processing time.Duration
		if method == "batch" {
			e = errBatchNotAllowed
		} else {
			sub := newParams()
			sub.addForm(query)
			res, e, processing = p.call(method, sub)
		}
		if e != nil {
			out.ResultError = append(out.ResultError, orderedEntry{c.k, e})
			if halt {
				break
			}
			continue
		}
		sum, _, reset := p.opStatus(method)
		out.Result = append(out.Result, orderedEntry{c.k, res})
		out.ResultTime = append(out.ResultTime, orderedEntry{c.k, newTimeBlock(cmdStart, time.Now(), processing, sum, reset)})
	}
	return restAnswer{http.StatusOK, resultBody{out, newTimeBlock(start, time.Now(), 0, 0, ceilUnix(time.Now().Add(p.cfg.OperatingWindow)))}}
}

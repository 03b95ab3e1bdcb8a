// Package audit reads a kube-apiserver audit log (JSON lines of
// audit.k8s.io/v1 Events) and extracts Pod Security Admission's verdicts from
// it. It knows nothing of tests or clusters: callers hand it a reader.
package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Event is one audit event.
type Event = auditv1.Event

// Stats describes one pass over a log.
type Stats struct {
	// Events is the number of events decoded.
	Events int
	// Malformed counts complete lines that are not audit events; the reader
	// goes on past them rather than failing the whole log.
	Malformed int
	// FirstMalformed is the first malformed line's error, for messages.
	FirstMalformed error
	// Next is the offset just past the last complete line: pass it as from to
	// see only what is written later. A partial last line, one the API server
	// is still writing, is left for that next read.
	Next int64
}

// maxLine bounds one event; the API server's Metadata-level events are a few
// KiB, RequestResponse ones with large objects can reach megabytes.
const maxLine = 64 << 20

// Scan decodes the events of r that start at byte offset from or later,
// calling fn for each until fn returns false. It streams: memory use does not
// grow with the log.
func Scan(r io.Reader, from int64, fn func(Event) bool) (Stats, error) {
	st := Stats{Next: from}
	if from > 0 {
		if s, ok := r.(io.Seeker); ok {
			// Seeking past the end succeeds, so compare with the size: a log
			// shorter than the offset was rotated or truncated.
			size, err := s.Seek(0, io.SeekEnd)
			if err != nil {
				return st, fmt.Errorf("seek audit log: %w", err)
			}
			if size < from {
				return st, fmt.Errorf("audit log is shorter than offset %d (rotated or truncated?)", from)
			}
			if _, err := s.Seek(from, io.SeekStart); err != nil {
				return st, fmt.Errorf("seek audit log to %d: %w", from, err)
			}
		} else if _, err := io.CopyN(io.Discard, r, from); err != nil {
			if errors.Is(err, io.EOF) {
				return st, fmt.Errorf("audit log is shorter than offset %d (rotated or truncated?)", from)
			}
			return st, err
		}
	}
	br := bufio.NewReaderSize(r, 256<<10)
	lineNo := 0
	for {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return st, nil // what remains, if anything, is a partial line
			}
			return st, fmt.Errorf("read audit log: %w", err)
		}
		lineNo++
		st.Next += int64(len(line))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil || ev.AuditID == "" {
			st.Malformed++
			if st.FirstMalformed == nil {
				if err == nil {
					err = errors.New("no auditID")
				}
				st.FirstMalformed = fmt.Errorf("line %d after offset %d: %w", lineNo, from, err)
			}
			continue
		}
		st.Events++
		if !fn(ev) {
			return st, nil
		}
	}
}

// readLine returns one complete line including its newline, or io.EOF when
// no complete line is left.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, err
		}
	}
}

// ReadAll returns every event of r after offset from that matches f.
func ReadAll(r io.Reader, from int64, f Filter) ([]Event, Stats, error) {
	var evs []Event
	st, err := Scan(r, from, func(e Event) bool {
		if f.Match(e) {
			evs = append(evs, e)
		}
		return true
	})
	return evs, st, err
}

// Filter selects events; zero fields match anything.
type Filter struct {
	Namespace string
	Resource  string
	Verb      string
	Code      int32
}

// Match reports whether e passes the filter.
func (f Filter) Match(e Event) bool {
	ref := e.ObjectRef
	if f.Namespace != "" && (ref == nil || ref.Namespace != f.Namespace) {
		return false
	}
	if f.Resource != "" && (ref == nil || ref.Resource != f.Resource) {
		return false
	}
	if f.Verb != "" && e.Verb != f.Verb {
		return false
	}
	if f.Code != 0 && (e.ResponseStatus == nil || e.ResponseStatus.Code != f.Code) {
		return false
	}
	return true
}

// Name is the object's name, also for creates with generateName, where the
// request had none and only a failure's status details carry it.
func Name(e Event) string {
	if e.ObjectRef != nil && e.ObjectRef.Name != "" {
		return e.ObjectRef.Name
	}
	if e.ResponseStatus != nil && e.ResponseStatus.Details != nil {
		return e.ResponseStatus.Details.Name
	}
	return ""
}

// Code is the response code, 0 when the event has none.
func Code(e Event) int32 {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Package rayjobs reads the Ray dashboard's Jobs API (GET /api/jobs/), which
// lists submitted jobs and, as type DRIVER, scripts that connected to the
// cluster with ray.init() — the way the tutorial runs its XGBoost script.
package rayjobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
)

// Job types and statuses as the dashboard reports them.
const (
	TypeDriver     = "DRIVER"
	TypeSubmission = "SUBMISSION"

	StatusPending   = "PENDING"
	StatusRunning   = "RUNNING"
	StatusStopped   = "STOPPED"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
)

// DriverInfo describes the driver process of a job.
type DriverInfo struct {
	ID            string `json:"id"`
	NodeIPAddress string `json:"node_ip_address"`
	PID           string `json:"pid"`
}

// Job is one entry of GET /api/jobs/. Times are milliseconds since the epoch.
type Job struct {
	Type           string            `json:"type"`
	JobID          *string           `json:"job_id"`
	SubmissionID   *string           `json:"submission_id"`
	DriverInfo     *DriverInfo       `json:"driver_info"`
	Status         string            `json:"status"`
	Entrypoint     string            `json:"entrypoint"`
	Message        *string           `json:"message"`
	ErrorType      *string           `json:"error_type"`
	StartTime      int64             `json:"start_time"`
	EndTime        int64             `json:"end_time"`
	Metadata       map[string]string `json:"metadata"`
	DriverExitCode *int              `json:"driver_exit_code"`
}

// Terminal reports whether the job has finished, one way or another.
func (j Job) Terminal() bool {
	switch j.Status {
	case StatusSucceeded, StatusFailed, StatusStopped:
		return true
	}
	return false
}

// ID is the job id Ray assigned when the driver started, or, for a
// submission that never started a driver, its submission id.
func (j Job) ID() string {
	if j.JobID != nil {
		return *j.JobID
	}
	if j.SubmissionID != nil {
		return *j.SubmissionID
	}
	return ""
}

// Parse decodes a /api/jobs/ response body.
func Parse(body []byte) ([]Job, error) {
	var jobs []Job
	if err := json.Unmarshal(body, &jobs); err != nil {
		snippet := strings.TrimSpace(string(body))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		return nil, fmt.Errorf("the Ray Jobs API answered with something other than a job list (%v): %s", err, snippet)
	}
	return jobs, nil
}

// TokenHeader is the header a client sends Ray's token in when the cluster
// has token authentication on ("Bearer <token>"). Ray's dashboard reads it
// when the standard Authorization header is absent; it is the one meant for
// requests through a proxy, such as a port-forward or KubeRay's own.
const TokenHeader = "X-Ray-Authorization"

// MissingToken is what Ray's dashboard answers, with 401, to a request
// without a token when the cluster has token authentication on (Ray 2.52
// and later, its token authentication middleware); a wrong token gets 403.
const MissingToken = "Unauthorized: Missing authentication token"

// AuthError is the dashboard's refusal of a request for want of a valid
// token: 401 when none was sent, 403 when it was not the cluster's.
// Retrying does not help.
type AuthError struct {
	Code     int    // 401 or 403
	Status   string // e.g. "401 Unauthorized"
	Body     string // the dashboard's words
	HadToken bool   // whether the request carried a token
}

func (e *AuthError) Error() string {
	if !e.HadToken {
		return fmt.Sprintf("Ray Jobs API: %s: %s: the cluster has token authentication on and the request carried no token (send the RayCluster's token as %s: Bearer <token>)", e.Status, e.Body, TokenHeader)
	}
	return fmt.Sprintf("Ray Jobs API: %s: %s: the token sent is not the cluster's", e.Status, e.Body)
}

// List fetches and parses GET <baseURL>/api/jobs/. token, unless "", is
// sent as TokenHeader; a refusal for want of a valid one is an *AuthError.
func List(ctx context.Context, client *http.Client, baseURL, token string) ([]Job, error) {
	body, err := Fetch(ctx, client, baseURL, token)
	if err != nil {
		return nil, err
	}
	return Parse(body)
}

// Fetch is GET <baseURL>/api/jobs/ as the dashboard answered it, for List,
// and for the evidence and the page's own filter, which read the answer
// itself.
func Fetch(ctx context.Context, client *http.Client, baseURL, token string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/api/jobs/", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set(TokenHeader, "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Ray Jobs API: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, &AuthError{Code: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(body)), HadToken: token != ""}
	}
	return nil, fmt.Errorf("Ray Jobs API: %s: %s", resp.Status, strings.TrimSpace(string(body)))
}

// FindDriver returns the most recent DRIVER job whose entrypoint is
// exactly entrypoint: the command line that ran the script, as Ray records
// it for a driver (the process's own arguments).
func FindDriver(jobs []Job, entrypoint string) (Job, bool) {
	var best Job
	found := false
	for _, j := range jobs {
		if j.Type != TypeDriver || j.Entrypoint != entrypoint {
			continue
		}
		if !found || j.StartTime > best.StartTime {
			best, found = j, true
		}
	}
	return best, found
}

// Line is a job as the page's Jobs API filter prints it (facts.JobsFilter):
// its type, status and entrypoint.
func (j Job) Line() string { return j.Type + " " + j.Status + " " + j.Entrypoint }

// FindSubmission returns the SUBMISSION job with submission id id, the one
// `ray job submit --submission-id id` made (KubeRay passes a RayJob's
// status.jobId so). A DRIVER that happens to carry the id is not one.
func FindSubmission(jobs []Job, id string) (Job, bool) {
	for _, j := range jobs {
		if j.Type == TypeSubmission && j.SubmissionID != nil && *j.SubmissionID == id {
			return j, true
		}
	}
	return Job{}, false
}

// Filter runs Python code, such as the page's Jobs API filter
// (facts.JobsFilter), with python3 -c, the Jobs API's answer body on its
// standard input, as a reader's `curl … | python3 -c …` does, and returns
// the lines it printed.
func Filter(ctx context.Context, code string, body []byte) ([]string, error) {
	cmd := exec.CommandContext(ctx, "python3", "-c", code)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("python3 -c %q on the Jobs API's answer: %w: %s", code, err, strings.TrimSpace(stderr.String()))
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), nil
}

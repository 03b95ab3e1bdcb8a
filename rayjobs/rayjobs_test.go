package rayjobs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The testdata files are GET /api/jobs/ answers of a real Ray 2.46.0 head
// (ray start --head on 127.0.0.1), captured after these ran against it:
//
//   - ok_driver.py: ray.init(address="auto"), one task, exit 0 (DRIVER 01000000)
//   - failing_driver.py: ray.init(address="auto"), then raise: exit 1 (DRIVER 02000000)
//   - ray job submit capture-submitted-ok: entrypoint "python submitted.py"
//     with a python that has no ray module, so it failed on import
//   - ray job submit capture-submitted-succeeds: the same script, exit 0
//   - ray job submit --no-wait capture-long-running: a script that sleeps;
//     "running" was taken while it ran, "finished" after ray job stop.
func load(t *testing.T, name string) []Job {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Parse(body)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return jobs
}

func byID(t *testing.T, jobs []Job, id string) Job {
	t.Helper()
	for _, j := range jobs {
		if j.ID() == id {
			return j
		}
	}
	t.Fatalf("no job with ID() %q among %d jobs", id, len(jobs))
	return Job{}
}

func TestParseRealResponse(t *testing.T) {
	jobs := load(t, "jobs-ray-2.46.0-finished.json")
	if len(jobs) != 5 {
		t.Fatalf("got %d jobs, want 5", len(jobs))
	}
	counts := map[string]int{}
	for _, j := range jobs {
		counts[j.Type]++
		if j.StartTime <= 0 {
			t.Errorf("job %s: start_time %d, want milliseconds since the epoch", j.ID(), j.StartTime)
		}
	}
	if counts[TypeDriver] != 2 || counts[TypeSubmission] != 3 {
		t.Errorf("types %v, want 2 DRIVER and 3 SUBMISSION", counts)
	}

	ok := byID(t, jobs, "01000000")
	if ok.Type != TypeDriver || ok.Status != StatusSucceeded || ok.DriverInfo == nil || ok.DriverInfo.ID != "01000000" || ok.DriverInfo.PID == "" {
		t.Errorf("ok_driver job = %+v", ok)
	}
	// Ray reports no exit code for a DRIVER; only submissions have one.
	if ok.DriverExitCode != nil {
		t.Errorf("DRIVER job has driver_exit_code %d; Ray 2.46 sends null", *ok.DriverExitCode)
	}

	failed := byID(t, jobs, "capture-submitted-ok")
	if failed.Type != TypeSubmission || failed.Status != StatusFailed {
		t.Errorf("failed submission = %s %s", failed.Type, failed.Status)
	}
	if failed.JobID != nil {
		t.Errorf("a submission whose entrypoint failed before ray.init has job_id %q, want null", *failed.JobID)
	}
	if failed.DriverExitCode == nil || *failed.DriverExitCode != 1 {
		t.Errorf("failed submission exit code = %v, want 1", failed.DriverExitCode)
	}
	if failed.Message == nil || !strings.Contains(*failed.Message, "ModuleNotFoundError") {
		t.Errorf("failed submission message = %v, want the traceback", failed.Message)
	}

	succeeded := byID(t, jobs, "04000000")
	if succeeded.SubmissionID == nil || *succeeded.SubmissionID != "capture-submitted-succeeds" {
		t.Errorf("job 04000000 submission id = %v", succeeded.SubmissionID)
	}
	if succeeded.DriverExitCode == nil || *succeeded.DriverExitCode != 0 || succeeded.Status != StatusSucceeded {
		t.Errorf("succeeded submission = %s, exit %v", succeeded.Status, succeeded.DriverExitCode)
	}
	if succeeded.EndTime < succeeded.StartTime {
		t.Errorf("end_time %d before start_time %d", succeeded.EndTime, succeeded.StartTime)
	}
}

// ID prefers the job id Ray assigned when the driver started and falls back
// to the submission id for a submission that never started one.
func TestID(t *testing.T) {
	jobs := load(t, "jobs-ray-2.46.0-finished.json")
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.ID())
	}
	want := []string{"04000000", "capture-submitted-ok", "05000000", "01000000", "02000000"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("IDs %v, want %v", ids, want)
	}
	if (Job{}).ID() != "" {
		t.Error("a job with neither id must have an empty ID")
	}
}

// A DRIVER whose script raised after ray.init still ends SUCCEEDED: the
// dashboard only sees the driver disconnect, not its exit status. That is
// why step 5.2 asserts the exec's exit code as well as the job status.
func TestFindDriverStatusDoesNotReflectExitCode(t *testing.T) {
	jobs := load(t, "jobs-ray-2.46.0-finished.json")
	j, ok := FindDriver(jobs, "/tmp/rayvenv/bin/python failing_driver.py")
	if !ok {
		t.Fatal("no DRIVER job for failing_driver.py")
	}
	if j.ID() != "02000000" {
		t.Errorf("found %s, want 02000000", j.ID())
	}
	if j.Status != StatusSucceeded {
		t.Errorf("Ray 2.46.0 reported the crashed driver as %s; if Ray now reports FAILED, tighten step 5.2", j.Status)
	}
}

func TestFindDriver(t *testing.T) {
	jobs := load(t, "jobs-ray-2.46.0-finished.json")
	j, ok := FindDriver(jobs, "/tmp/rayvenv/bin/python ok_driver.py")
	if !ok || j.ID() != "01000000" || j.Status != StatusSucceeded {
		t.Errorf("FindDriver(ok_driver.py) = %s %s, %v", j.ID(), j.Status, ok)
	}
	if got := j.Line(); got != "DRIVER SUCCEEDED /tmp/rayvenv/bin/python ok_driver.py" {
		t.Errorf("Line() = %q", got)
	}
	// The entrypoint is matched whole: a part of it, or the script run
	// another way, is another command line.
	for _, other := range []string{"ok_driver.py", "python ok_driver.py", "/tmp/rayvenv/bin/python ok_driver.py --x"} {
		if j, ok := FindDriver(jobs, other); ok {
			t.Errorf("FindDriver(%q) found %s; only the exact command line matches", other, j.Entrypoint)
		}
	}
	// Submissions are not drivers, even when their entrypoint matches.
	if j, ok := FindDriver(jobs, "/tmp/rayvenv/bin/python submitted.py"); ok {
		t.Errorf("FindDriver(submitted.py) found %s %s; only DRIVER jobs count", j.Type, j.ID())
	}
	if _, ok := FindDriver(nil, "/tmp/rayvenv/bin/python ok_driver.py"); ok {
		t.Error("FindDriver on no jobs found one")
	}
	// Two drivers of one command line: the one that started last wins.
	twice := []Job{{Type: TypeDriver, Entrypoint: "python3 x.py", StartTime: 2, Status: StatusSucceeded}, {Type: TypeDriver, Entrypoint: "python3 x.py", StartTime: 1, Status: StatusFailed}}
	if j, _ := FindDriver(twice, "python3 x.py"); j.Status != StatusSucceeded {
		t.Errorf("FindDriver of two runs gave the one that started at %d", j.StartTime)
	}
}

func TestTerminal(t *testing.T) {
	// While it ran, the submission had no job id yet (its driver had not
	// reached ray.init), so ID() was the submission id; once stopped, Ray
	// had assigned 05000000. ID() is therefore not stable over a job's life.
	running := byID(t, load(t, "jobs-ray-2.46.0-running.json"), "capture-long-running")
	if running.Status != StatusRunning || running.Terminal() {
		t.Errorf("running capture: %s, Terminal()=%v; want RUNNING, false", running.Status, running.Terminal())
	}
	if running.JobID != nil {
		t.Errorf("running submission already had job id %s", *running.JobID)
	}
	stopped := byID(t, load(t, "jobs-ray-2.46.0-finished.json"), "05000000")
	if stopped.Status != StatusStopped || !stopped.Terminal() || stopped.SubmissionID == nil || *stopped.SubmissionID != "capture-long-running" {
		t.Errorf("after ray job stop: %s, Terminal()=%v; want capture-long-running STOPPED, true", stopped.Status, stopped.Terminal())
	}
	for _, j := range load(t, "jobs-ray-2.46.0-finished.json") {
		if !j.Terminal() {
			t.Errorf("job %s is %s, not terminal, in the finished capture", j.ID(), j.Status)
		}
	}
	if (Job{Status: StatusPending}).Terminal() {
		t.Error("PENDING is not terminal")
	}
}

func TestParseRejectsOtherBodies(t *testing.T) {
	for name, body := range map[string]string{
		"html error page": "<html><body>502 Bad Gateway</body></html>",
		"json object":     `{"detail": "not found"}`,
		"empty":           "",
	} {
		_, err := Parse([]byte(body))
		if err == nil {
			t.Errorf("%s: Parse accepted %q", name, body)
			continue
		}
		if !strings.Contains(err.Error(), "Ray Jobs API") || !strings.Contains(err.Error(), strings.TrimSpace(body)) {
			t.Errorf("%s: error %q does not name the API and quote the body", name, err)
		}
	}
	long := "<html>" + strings.Repeat("x", 1000)
	if _, err := Parse([]byte(long)); err == nil || len(err.Error()) > 400 {
		t.Errorf("a long body must be cut in the error, got %d characters", len(err.Error()))
	}
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestListAgainstServer(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "jobs-ray-2.46.0-finished.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gotPath string
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		if r.URL.Path != "/api/jobs/" {
			http.Error(w, "Not Found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	// A trailing slash on the base must not double up.
	jobs, err := List(ctx, client, base+"/", "")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/jobs/" || len(jobs) != 5 {
		t.Errorf("List asked %s and got %d jobs", gotPath, len(jobs))
	}

	failing := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "dashboard agent unavailable", http.StatusServiceUnavailable)
	}))
	_, err = List(ctx, client, failing, "")
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "dashboard agent unavailable") {
		t.Errorf("List on a 503: %v; want the status and the body", err)
	}
}

// A dashboard with token authentication, as Ray 2.52 and newer answer: no
// token is a 401 and a wrong one a 403, both an *AuthError that says what
// is missing; the cluster's token in TokenHeader lists the jobs.
func TestListWithToken(t *testing.T) {
	const token = "s3cret"
	base := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get(TokenHeader) {
		case "":
			http.Error(w, "Unauthorized: Missing authentication token", http.StatusUnauthorized)
		case "Bearer " + token:
			_, _ = w.Write([]byte("[]"))
		default:
			http.Error(w, "Forbidden: Invalid authentication token", http.StatusForbidden)
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	if jobs, err := List(ctx, client, base, token); err != nil || len(jobs) != 0 {
		t.Errorf("with the token: %v, %v", jobs, err)
	}
	var auth *AuthError
	_, err := List(ctx, client, base, "")
	if !errors.As(err, &auth) || auth.HadToken || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "carried no token") {
		t.Errorf("without a token: %v", err)
	}
	_, err = List(ctx, client, base, "other")
	if !errors.As(err, &auth) || !auth.HadToken || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "not the cluster's") {
		t.Errorf("with another token: %v", err)
	}
}

func TestFindSubmission(t *testing.T) {
	jobs := load(t, "jobs-ray-2.46.0-finished.json")
	j, ok := FindSubmission(jobs, "capture-submitted-succeeds")
	if !ok || j.Status != StatusSucceeded || j.ID() != "04000000" {
		t.Errorf("FindSubmission(capture-submitted-succeeds) = %s %s, %v", j.ID(), j.Status, ok)
	}
	// A submission whose driver never started has no job id, and is found.
	if j, ok := FindSubmission(jobs, "capture-submitted-ok"); !ok || j.Status != StatusFailed {
		t.Errorf("FindSubmission(capture-submitted-ok) = %s, %v", j.Status, ok)
	}
	// Quiet: no such id, and a DRIVER's job id is not a submission id.
	for _, id := range []string{"rayjob-x-abcde", "01000000"} {
		if j, ok := FindSubmission(jobs, id); ok {
			t.Errorf("FindSubmission(%s) found %s %s", id, j.Type, j.ID())
		}
	}
}

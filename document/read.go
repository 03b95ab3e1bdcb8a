// Reading a tutorial's bytes: the encodings and line endings a copy of it
// may come in, and the inputs that cannot be a tutorial's Markdown source,
// each refused with one line that names the problem and the fix.

package document

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// InputError is an input that is not a tutorial's Markdown source. Its
// message is one line: what the input is, and what to give instead.
type InputError struct {
	Name string
	Msg  string
}

func (e *InputError) Error() string { return e.Name + ": " + e.Msg }

// IsInputError reports whether err is an InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Stdin is the name that Open reads from standard input.
const Stdin = "-"

// Open reads the tutorial named by arg: a file, or standard input for "-".
// A URL is not fetched and a directory is not searched: both are refused,
// saying what to do instead.
func Open(arg string, stdin io.Reader) (*Document, error) {
	if arg == "" {
		return nil, &InputError{Name: "--doc", Msg: "no document given: name the tutorial's Markdown file, or - for standard input"}
	}
	if u, err := url.Parse(arg); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil, &InputError{Name: arg, Msg: "a URL is not fetched: download the Markdown source first (curl -fsSL -o tutorial.md '" + arg + "'; on GitHub use the file's Raw link), then pass the file"}
	}
	var data []byte
	var err error
	if arg == Stdin {
		data, err = io.ReadAll(stdin)
		arg = "(standard input)"
	} else {
		var fi os.FileInfo
		if fi, err = os.Stat(arg); err == nil && fi.IsDir() {
			return nil, &InputError{Name: arg, Msg: "is a directory: name the tutorial's Markdown file in it"}
		}
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, err
	}
	return Read(arg, data)
}

// Read decodes data (UTF-8, with or without a byte order mark, or UTF-16
// with one; line endings LF, CRLF or CR alone) and reads it into a Document.
// It refuses, with an *InputError, what holds no tutorial to check: nothing
// at all, binary data, or text with no fenced command block, which is what
// copying a rendered page gives.
func Read(name string, data []byte) (*Document, error) {
	text, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, &InputError{Name: name, Msg: "is empty: there is nothing to check; give the tutorial's Markdown source"}
	}
	d, err := parse(name, text)
	if err != nil {
		return d, err
	}
	if len(d.Commands) == 0 && !d.hasShellBlock() {
		if len(d.Blocks) > 0 {
			return nil, &InputError{Name: name, Msg: "has fenced blocks, but none is marked as commands: label the command blocks ```sh (or bash, console), so that their commands are checked"}
		}
		return nil, &InputError{Name: name, Msg: "has no fenced command block (```sh … ```): text copied from a rendered page loses its code blocks; give the tutorial's Markdown source (.md)"}
	}
	return d, nil
}

// decode turns data into text with "\n" line endings.
func decode(name string, data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(name, data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(name, data[2:], true)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", &InputError{Name: name, Msg: fmt.Sprintf("is binary (a NUL byte at offset %d), not text: give the tutorial's Markdown source (UTF-16 needs a byte order mark)", i)}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return "", &InputError{Name: name, Msg: fmt.Sprintf("is not UTF-8 text (an invalid byte at offset %d): convert it to UTF-8 (iconv -f <its encoding> -t UTF-8), or give the Markdown source", i)}
	}
	return normalizeNewlines(string(data)), nil
}

func decodeUTF16(name string, data []byte, bigEndian bool) (string, error) {
	if len(data)%2 != 0 {
		return "", &InputError{Name: name, Msg: "starts with a UTF-16 byte order mark but has an odd number of bytes: the file is cut short or not UTF-16; save it again as UTF-8"}
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		} else {
			units[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
		}
	}
	text := string(utf16.Decode(units))
	if strings.ContainsRune(text, 0) {
		return "", &InputError{Name: name, Msg: "is binary (a NUL character), not text: give the tutorial's Markdown source"}
	}
	return normalizeNewlines(text), nil
}

// SplitLines splits a file's text into lines, whatever its line endings:
// line i+1 of a file is SplitLines(data)[i].
func SplitLines(data []byte) []string {
	return strings.Split(normalizeNewlines(string(data)), "\n")
}

// normalizeNewlines makes CRLF and a lone CR (old Mac files) "\n".
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

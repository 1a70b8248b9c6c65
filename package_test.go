package main

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPackageZip runs `make package` and checks that dist/function.zip
// is what FC's go1 runtime runs: an executable `main` at the zip's root,
// a static linux/amd64 ELF binary of this module, and that target/, which
// s.yaml uploads, holds nothing else.
func TestPackageZip(t *testing.T) {
	for _, tool := range []string{"make", "zip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("make package needs %s, which is not installed (.ci/run installs zip)", tool)
		}
	}
	cmd := exec.Command("make", "package")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, out)
	}

	// s.yaml uploads target/ as the code package: only main belongs there.
	entries, err := os.ReadDir("target")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "main" {
			t.Errorf("target/ holds %s beside main; s.yaml's code: ./target would upload it too", e.Name())
		}
	}

	zr, err := zip.OpenReader(filepath.Join("dist", "function.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var mainFile *zip.File
	for _, f := range zr.File {
		if f.Name == "main" {
			mainFile = f
		}
	}
	if mainFile == nil {
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		t.Fatalf("dist/function.zip has no main at its root; it holds %q", names)
	}
	if mode := mainFile.Mode(); !mode.IsRegular() || mode.Perm()&0o111 == 0 {
		t.Errorf("main in the zip has mode %v, want a regular file with the executable bit set", mode)
	}

	rc, err := mainFile.Open()
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("main in the zip is not an ELF binary: %v", err)
	}
	if bin.Class != elf.ELFCLASS64 || bin.Machine != elf.EM_X86_64 || bin.Type != elf.ET_EXEC {
		t.Errorf("main is %v %v %v, want a 64-bit x86-64 executable", bin.Class, bin.Machine, bin.Type)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("main is dynamically linked; FC's go1 runtime needs a static binary (CGO_ENABLED=0)")
		}
	}

	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("main carries no Go build information: %v", err)
	}
	if info.Main.Path != "github.com/export-notifier/export-notifier" {
		t.Errorf("main was built from %q, not this module", info.Main.Path)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": "linux", "GOARCH": "amd64", "CGO_ENABLED": "0"} {
		if settings[key] != want {
			t.Errorf("main was built with %s=%q, want %q", key, settings[key], want)
		}
	}
}

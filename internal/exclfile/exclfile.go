// Package exclfile writes a file only if its name is free, and only whole:
// the content goes to a temporary file beside it, is synced, and is then
// hard-linked to its name, which fails when the name is taken (a rename
// would replace the file there). The directory is synced last, so that
// the new name lasts. The state's file store and the archive's file://
// store both write this way.
package exclfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Create writes final with what write writes, through a temporary file
// named by tempPattern (os.CreateTemp's) in final's directory, which must
// exist. When final already exists the error wraps fs.ErrExist, unless
// final is the very file this call wrote (a link that succeeded but was
// reported as failed, as some network filesystems do on a retry).
func Create(final, tempPattern string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(final), tempPattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), final); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
				return fmt.Errorf("%w (writing only to a free name needs hard links: use a local disk or an NFS/NAS mount)", err)
			}
			return err
		}
		a, errA := os.Stat(tmp.Name())
		b, errB := os.Stat(final)
		if errA != nil || errB != nil || !os.SameFile(a, b) {
			return fmt.Errorf("%s: %w", final, fs.ErrExist)
		}
	}
	return SyncDir(filepath.Dir(final))
}

// SyncDir makes the names in dir durable. Some filesystems cannot sync a
// directory; there a name is as durable as they make it.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

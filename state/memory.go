package state

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// memoryBackend keeps the encoded versions in this process. Storing bytes,
// not snapshots, keeps loads independent of one another and exercises the
// encoding as the durable backends do.
type memoryBackend struct {
	mu   sync.Mutex
	data map[int64][]byte
}

func newMemoryBackend() *memoryBackend { return &memoryBackend{data: map[int64][]byte{}} }

func (m *memoryBackend) versions(context.Context) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := make([]int64, 0, len(m.data))
	for v := range m.data {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs, nil
}

func (m *memoryBackend) read(_ context.Context, v int64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.data[v]
	if !ok {
		return nil, fmt.Errorf("%s: %w", m.name(v), fs.ErrNotExist)
	}
	return slices.Clone(d), nil
}

func (m *memoryBackend) create(_ context.Context, v int64, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[v]; ok {
		return ErrConflict
	}
	m.data[v] = slices.Clone(data)
	return nil
}

func (m *memoryBackend) remove(_ context.Context, v int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, v)
	return nil
}

func (m *memoryBackend) name(v int64) string { return "memory://" + versionName(v) }
func (m *memoryBackend) location() string    { return "memory://" }

package state

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// memoryBackend keeps the encoded records and checkpoints in this process.
// Storing bytes, not snapshots, keeps loads independent of one another and
// exercises the encoding as the durable backends do.
type memoryBackend struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMemoryBackend() *memoryBackend { return &memoryBackend{data: map[string][]byte{}} }

func (m *memoryBackend) list(_ context.Context, after string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n := range m.data {
		if n > after {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (m *memoryBackend) read(_ context.Context, n string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.data[n]
	if !ok {
		return nil, fmt.Errorf("%s: %w", m.name(n), fs.ErrNotExist)
	}
	return slices.Clone(d), nil
}

func (m *memoryBackend) create(_ context.Context, n string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[n]; ok {
		return ErrConflict
	}
	m.data[n] = slices.Clone(data)
	return nil
}

func (m *memoryBackend) remove(_ context.Context, n string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, n)
	return nil
}

func (m *memoryBackend) name(n string) string { return "memory://" + n }
func (m *memoryBackend) location() string     { return "memory://" }

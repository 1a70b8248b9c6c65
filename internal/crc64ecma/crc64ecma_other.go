//go:build !amd64 || purego

package crc64ecma

// update adds p to crc with the table.
func update(crc uint64, p []byte) uint64 { return updateTable(crc, p) }

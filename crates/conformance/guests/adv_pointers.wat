;; Hostile pointers and lengths for every host function that takes one.
;; Memory is one page (65536 bytes) unless an export grows it. Each export
;; first writes k=v (so a case with a pre-state proves the write is not
;; committed), then makes one bad call, which must end the execution with
;; MemoryAccessViolation: `ptr + len` overflowing u64, past the memory, a
;; pointer with bits above 32 (never truncated to a wasm32 address), a huge
;; length that would otherwise break a limit or exhaust the gas (bounds come
;; first), and a zero-length access past the end.
;;
;; Memory: "k" at 0, "v" at 1, "kind" at 2.
(module
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "write_register" (func $write_register (param i64 i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_remove" (func $remove (param i64 i64 i64) (result i64)))
  (import "env" "storage_has_key" (func $has (param i64 i64) (result i64)))
  (import "env" "sha256" (func $sha256 (param i64 i64 i64)))
  (import "env" "random_bytes" (func $random (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kvkind")

  (func $touch
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0))))

  ;; read_register
  (func (export "read_register_at_end")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 1) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const 65536)))
  (func (export "read_register_straddles_end")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 2) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const 65535)))
  (func (export "read_register_ptr_overflow")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 2) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const -1)))
  (func (export "read_register_high_bits")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 1) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const 0x100000000)))

  ;; write_register
  (func (export "write_register_huge_len")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const -1) (i64.const 0)))
  (func (export "write_register_ptr_overflow")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 16) (i64.const -15)))
  (func (export "write_register_high_bits")
    (call $touch)
    (call $write_register (i64.const 1) (i64.const 1) (i64.const 0x100000000)))

  ;; value_return
  (func (export "value_return_huge_len")
    (call $touch)
    (call $value_return (i64.const -1) (i64.const 0)))
  (func (export "value_return_ptr_overflow")
    (call $touch)
    (call $value_return (i64.const 2) (i64.const -1)))
  (func (export "value_return_high_bits")
    (call $touch)
    (call $value_return (i64.const 1) (i64.const 0x100000000)))

  ;; panic_utf8
  (func (export "panic_huge_len")
    (call $touch)
    (call $panic (i64.const -1) (i64.const 0)))
  (func (export "panic_ptr_overflow")
    (call $touch)
    (call $panic (i64.const 3) (i64.const -2)))
  (func (export "panic_high_bits")
    (call $touch)
    (call $panic (i64.const 1) (i64.const 0x100000001)))

  ;; log_utf8: a huge length is out of bounds before it is over the log limit.
  (func (export "log_huge_len")
    (call $touch)
    (call $log (i64.const 0x7fffffffffffffff) (i64.const 0)))
  (func (export "log_ptr_overflow")
    (call $touch)
    (call $log (i64.const 1) (i64.const -1)))
  (func (export "log_high_bits")
    (call $touch)
    (call $log (i64.const 1) (i64.const 0x100000000)))
  (func (export "log_empty_high_bits")
    (call $touch)
    (call $log (i64.const 0) (i64.const 0x100000000)))

  ;; emit_event: either range; a huge length before the event length limit.
  (func (export "event_kind_at_end")
    (call $touch)
    (call $event (i64.const 4) (i64.const 65536) (i64.const 0) (i64.const 0)))
  (func (export "event_kind_high_bits")
    (call $touch)
    (call $event (i64.const 4) (i64.const 0x100000002) (i64.const 0) (i64.const 0)))
  (func (export "event_data_huge_len")
    (call $touch)
    (call $event (i64.const 4) (i64.const 2) (i64.const -1) (i64.const 0)))
  (func (export "event_data_ptr_overflow")
    (call $touch)
    (call $event (i64.const 4) (i64.const 2) (i64.const 2) (i64.const -1)))

  ;; storage_write: either range; huge lengths before the key/value limits.
  (func (export "storage_write_key_huge_len")
    (call $touch)
    (drop (call $write (i64.const -1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0))))
  (func (export "storage_write_value_huge_len")
    (call $touch)
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const -1) (i64.const 1) (i64.const 0))))
  (func (export "storage_write_key_ptr_overflow")
    (call $touch)
    (drop (call $write (i64.const 2) (i64.const -1) (i64.const 1) (i64.const 1) (i64.const 0))))
  (func (export "storage_write_key_high_bits")
    (call $touch)
    (drop (call $write (i64.const 1) (i64.const 0x100000000) (i64.const 1) (i64.const 1) (i64.const 0))))
  (func (export "storage_write_value_high_bits")
    (call $touch)
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 0x100000001) (i64.const 0))))

  ;; storage_read, storage_remove, storage_has_key
  (func (export "storage_read_key_at_end")
    (call $touch)
    (drop (call $read (i64.const 1) (i64.const 65536) (i64.const 0))))
  (func (export "storage_read_key_huge_len")
    (call $touch)
    (drop (call $read (i64.const -1) (i64.const 0) (i64.const 0))))
  (func (export "storage_read_key_overflow")
    (call $touch)
    (drop (call $read (i64.const 2) (i64.const -1) (i64.const 0))))
  (func (export "storage_remove_key_huge_len")
    (call $touch)
    (drop (call $remove (i64.const -1) (i64.const 0) (i64.const 0))))
  (func (export "storage_remove_key_overflow")
    (call $touch)
    (drop (call $remove (i64.const 8) (i64.const -4) (i64.const 0))))
  (func (export "storage_remove_key_high_bits")
    (call $touch)
    (drop (call $remove (i64.const 1) (i64.const 0x100000000) (i64.const 0))))
  (func (export "storage_has_key_high_bits")
    (call $touch)
    (drop (call $has (i64.const 1) (i64.const 0x100000000))))
  (func (export "storage_has_key_huge_len")
    (call $touch)
    (drop (call $has (i64.const -1) (i64.const 0))))
  (func (export "storage_has_key_straddles_end")
    (call $touch)
    (drop (call $has (i64.const 2) (i64.const 65535))))

  ;; sha256: a huge length before its per-byte gas.
  (func (export "sha256_huge_len")
    (call $touch)
    (call $sha256 (i64.const -1) (i64.const 0) (i64.const 0)))
  (func (export "sha256_at_end")
    (call $touch)
    (call $sha256 (i64.const 1) (i64.const 65536) (i64.const 0)))
  (func (export "sha256_ptr_overflow")
    (call $touch)
    (call $sha256 (i64.const 32) (i64.const -16) (i64.const 0)))
  (func (export "sha256_high_bits")
    (call $touch)
    (call $sha256 (i64.const 1) (i64.const 0x100000000) (i64.const 0)))

  ;; random_bytes: a huge length before its per-byte gas.
  (func (export "random_huge_len")
    (call $touch)
    (call $random (i64.const 0x7fffffffffffffff) (i64.const 0)))
  (func (export "random_ptr_overflow")
    (call $touch)
    (call $random (i64.const 16) (i64.const -8)))
  (func (export "random_high_bits")
    (call $touch)
    (call $random (i64.const 1) (i64.const 0x100000000)))

  ;; In bounds but over the key limit (2048): KeyLengthExceeded, not a
  ;; memory error (the length is checked after the bounds).
  (func (export "key_in_bounds_over_limit")
    (call $touch)
    (drop (call $has (i64.const 3000) (i64.const 0))))

  ;; After memory.grow, the second page is addressable: logs 3 zero bytes
  ;; from 65536, and 65536 + 65536 is the new end.
  (func (export "grown_memory_is_addressable")
    (drop (memory.grow (i32.const 1)))
    (call $log (i64.const 3) (i64.const 65536))
    (call $log (i64.const 0) (i64.const 131072)))
  ;; ... but not past it.
  (func (export "grown_memory_end")
    (drop (memory.grow (i32.const 1)))
    (call $touch)
    (call $log (i64.const 1) (i64.const 131072)))
)

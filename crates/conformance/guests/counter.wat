;; A counter: "increment" adds one to the u64 under key "count" and returns
;; the new value (8 bytes, little-endian).
(module
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "count")
  (func (export "increment")
    (if (i64.eq (call $read (i64.const 5) (i64.const 0) (i64.const 0)) (i64.const 1))
      (then (call $read_register (i64.const 0) (i64.const 8))))
    (i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.const 1)))
    (drop (call $write (i64.const 5) (i64.const 0) (i64.const 8) (i64.const 8) (i64.const 1)))
    (call $event (i64.const 5) (i64.const 0) (i64.const 8) (i64.const 8))
    (call $value_return (i64.const 8) (i64.const 8))))

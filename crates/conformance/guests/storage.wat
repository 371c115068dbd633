;; Storage: write, read, remove, has_key, their results and errors.
;; Memory: "k" at 0, "v" at 1, "new" at 2..5, "boom" at 5..9, 0xff at 9.
(module
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "storage_remove" (func $remove (param i64 i64 i64) (result i64)))
  (import "env" "storage_has_key" (func $has (param i64 i64) (result i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "kvnewboom\ff")

  ;; Returns register $r at 1024.
  (func $return_register (param $r i64)
    (call $read_register (local.get $r) (i64.const 1024))
    (call $value_return (call $register_len (local.get $r)) (i64.const 1024)))

  ;; Returns one byte per result, in order, from 4096.
  (func $byte (param $at i32) (param $v i64)
    (i64.store8 (local.get $at) (local.get $v)))

  ;; write k=v (0: new), has_key k (1), read k (1, "v"): returns 00 01 01 76.
  (func (export "write_read")
    (call $byte (i32.const 4096) (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
    (call $byte (i32.const 4097) (call $has (i64.const 1) (i64.const 0)))
    (call $byte (i32.const 4098) (call $read (i64.const 1) (i64.const 0) (i64.const 1)))
    (call $read_register (i64.const 1) (i64.const 4099))
    (call $value_return (i64.const 4) (i64.const 4096)))

  ;; write k=new over an existing value: returns 01 then the old value.
  (func (export "replace")
    (call $byte (i32.const 4096) (call $write (i64.const 1) (i64.const 0) (i64.const 3) (i64.const 2) (i64.const 0)))
    (call $read_register (i64.const 0) (i64.const 4097))
    (call $value_return (i64.add (i64.const 1) (call $register_len (i64.const 0))) (i64.const 4096)))

  ;; remove k: returns 01 then the old value.
  (func (export "remove")
    (call $byte (i32.const 4096) (call $remove (i64.const 1) (i64.const 0) (i64.const 0)))
    (call $read_register (i64.const 0) (i64.const 4097))
    (call $value_return (i64.add (i64.const 1) (call $register_len (i64.const 0))) (i64.const 4096)))

  ;; remove and read of an absent key return 0 and leave register 5 unset:
  ;; returns 00 00 then register_len(5) as 8 bytes.
  (func (export "absent")
    (call $byte (i32.const 4096) (call $remove (i64.const 1) (i64.const 0) (i64.const 5)))
    (call $byte (i32.const 4097) (call $read (i64.const 1) (i64.const 0) (i64.const 5)))
    (i64.store (i32.const 4098) (call $register_len (i64.const 5)))
    (call $value_return (i64.const 10) (i64.const 4096)))

  ;; Writes k=new then removes it: no net change.
  (func (export "write_then_remove")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 3) (i64.const 2) (i64.const 0)))
    (drop (call $remove (i64.const 1) (i64.const 0) (i64.const 0))))

  ;; Writes k=v again over k=v: no net change.
  (func (export "write_same")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0))))

  ;; The empty key gets the empty value.
  (func (export "empty_key_value")
    (drop (call $write (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))))

  ;; Writes k=new, then panics: nothing is committed.
  (func (export "write_then_panic")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 3) (i64.const 2) (i64.const 0)))
    (call $panic (i64.const 4) (i64.const 5)))

  ;; Writes k=new, then traps: nothing is committed.
  (func (export "write_then_trap")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 3) (i64.const 2) (i64.const 0)))
    unreachable)

  ;; A key of 5 bytes (over a key limit of 4).
  (func (export "long_key")
    (drop (call $write (i64.const 5) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0))))

  ;; A value of 5 bytes (over a value limit of 4).
  (func (export "long_value")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 5) (i64.const 1) (i64.const 0))))

  ;; Writes k=v, then a key pointer past the memory: MemoryAccessViolation.
  (func (export "key_out_of_bounds")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 1) (i64.const 0)))
    (drop (call $read (i64.const 1) (i64.const 65536) (i64.const 0))))

  ;; A value range whose end overflows u64.
  (func (export "value_overflowing_range")
    (drop (call $write (i64.const 1) (i64.const 0) (i64.const 16) (i64.const -8) (i64.const 0))))

  ;; A huge length: out of bounds before any limit or gas per byte.
  (func (export "huge_length")
    (drop (call $has (i64.const 0x7fffffffffffffff) (i64.const 0))))
)

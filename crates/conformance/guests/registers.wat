;; Registers and input: every register host function and its errors.
(module
  (import "env" "input" (func $input (param i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "write_register" (func $write_register (param i64 i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "abcdefghijklmnopqrstuvwxyz")

  ;; Returns the input unchanged.
  (func (export "echo_input")
    (local $len i64)
    (call $input (i64.const 0))
    (local.set $len (call $register_len (i64.const 0)))
    (call $read_register (i64.const 0) (i64.const 1024))
    (call $value_return (local.get $len) (i64.const 1024)))

  ;; Returns register_len of an unset register as 8 bytes, little-endian.
  (func (export "len_of_unset")
    (i64.store (i32.const 1024) (call $register_len (i64.const 7)))
    (call $value_return (i64.const 8) (i64.const 1024)))

  ;; read_register of an unset register: InvalidRegisterId.
  (func (export "read_unset")
    (call $read_register (i64.const 9) (i64.const 0)))

  ;; write_register then read it back: returns "abc".
  (func (export "write_read")
    (call $write_register (i64.const 1) (i64.const 3) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const 2048))
    (call $value_return (i64.const 3) (i64.const 2048)))

  ;; read_register into the last byte of memory with 26 bytes: out of bounds.
  (func (export "read_out_of_bounds")
    (call $write_register (i64.const 1) (i64.const 26) (i64.const 0))
    (call $read_register (i64.const 1) (i64.const 65535)))

  ;; write_register from a range whose end overflows u64.
  (func (export "write_overflowing_range")
    (call $write_register (i64.const 1) (i64.const 2) (i64.const -1)))

  ;; A zero-length write at ptr == memory size is allowed ...
  (func (export "empty_at_end")
    (call $write_register (i64.const 1) (i64.const 0) (i64.const 65536))
    (i64.store (i32.const 0) (call $register_len (i64.const 1)))
    (call $value_return (i64.const 8) (i64.const 0)))

  ;; ... one byte further is a MemoryAccessViolation.
  (func (export "empty_past_end")
    (call $write_register (i64.const 1) (i64.const 0) (i64.const 65537)))

  ;; Sets registers 0, 1, 2, ... with one byte each until a limit stops it.
  (func (export "many_registers")
    (local $i i64)
    (loop $next
      (call $write_register (local.get $i) (i64.const 1) (i64.const 0))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))

  ;; Writes 11 bytes into register 0 (over a register size limit of 10).
  (func (export "big_register")
    (call $write_register (i64.const 0) (i64.const 11) (i64.const 0)))

  ;; Registers of 8 bytes each: replacing register 0 twice fits a total of
  ;; 20, a third register of 8 does not.
  (func (export "registers_memory")
    (call $write_register (i64.const 0) (i64.const 8) (i64.const 0))
    (call $write_register (i64.const 1) (i64.const 8) (i64.const 8))
    (call $write_register (i64.const 0) (i64.const 8) (i64.const 16))
    (call $write_register (i64.const 0) (i64.const 8) (i64.const 16))
    (call $write_register (i64.const 2) (i64.const 8) (i64.const 0)))
)

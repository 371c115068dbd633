;; Abuse of the per-execution limits: registers (count, size, total), logs
;; (count, total length) and events (count, length), each pushed one past
;; the default limit of `Limits`, plus the cases just at a limit.
;;
;; Memory: 257 pages, so that a register of 16 MiB + 1 bytes can be read
;; from it; "k" and "v" at 16 777 300 (for $touch, which writes k=v first so
;; that a pre-state proves nothing is committed). Lengths read from 0 read
;; zero bytes (valid UTF-8) unless an export fills them.
(module
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "write_register" (func $write_register (param i64 i64 i64)))
  (import "env" "input" (func $input (param i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $read (param i64 i64 i64) (result i64)))
  (import "env" "sha256" (func $sha256 (param i64 i64 i64)))
  (memory (export "memory") 257)
  (data (i32.const 16777300) "kv")

  (func $touch
    (drop (call $write (i64.const 1) (i64.const 16777300) (i64.const 1) (i64.const 16777301) (i64.const 100))))

  (func $return_u64 (param $v i64)
    (i64.store (i32.const 16777200) (local.get $v))
    (call $value_return (i64.const 8) (i64.const 16777200)))

  ;; ---- Registers (default: 64 registers, 16 MiB each, 64 MiB in all). ----

  ;; Sets registers 0, 1, 2, ... by three different host functions.
  (func (export "registers_too_many_sha256")
    (local $i i64)
    (call $touch)
    (loop $l
      (call $sha256 (i64.const 0) (i64.const 0) (local.get $i))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
  (func (export "registers_too_many_input")
    (local $i i64)
    (call $touch)
    (loop $l
      (call $input (local.get $i))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
  (func (export "registers_too_many_storage_read")
    (local $i i64)
    (call $touch)
    (loop $l
      (drop (call $read (i64.const 1) (i64.const 16777300) (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
  ;; Replacing one register forever never breaks a register limit: only the
  ;; gas ends it.
  (func (export "register_replace_forever")
    (call $touch)
    (loop $l
      (call $write_register (i64.const 0) (i64.const 1) (i64.const 0))
      (br $l)))
  (func (export "register_too_big")
    (call $touch)
    (call $write_register (i64.const 0) (i64.const 16777217) (i64.const 0)))
  ;; Exactly 16 MiB fits; returns its length.
  (func (export "register_at_max_size")
    (call $write_register (i64.const 0) (i64.const 16777216) (i64.const 0))
    (call $return_u64 (call $register_len (i64.const 0))))
  ;; Four registers of 16 MiB are 64 MiB: one more byte is too much ...
  (func (export "registers_total_exceeded")
    (call $touch)
    (call $write_register (i64.const 0) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 1) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 2) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 3) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 4) (i64.const 1) (i64.const 0)))
  ;; ... but replacing one of them releases its size first.
  (func (export "registers_total_replace_fits")
    (call $write_register (i64.const 0) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 1) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 2) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 3) (i64.const 16777216) (i64.const 0))
    (call $write_register (i64.const 3) (i64.const 16777216) (i64.const 0))
    (call $return_u64 (call $register_len (i64.const 3))))
  (func (export "read_unset_max_id")
    (call $touch)
    (call $read_register (i64.const -1) (i64.const 0)))
  ;; Register ids are any u64: u64::MAX works; returns its length (1).
  (func (export "register_max_id")
    (call $write_register (i64.const -1) (i64.const 1) (i64.const 0))
    (call $return_u64 (call $register_len (i64.const -1))))
  ;; The stored value of "k" into register 0 (the case lowers the register
  ;; size below the value's length).
  (func (export "storage_read_into_small_register")
    (drop (call $read (i64.const 1) (i64.const 16777300) (i64.const 0))))

  ;; ---- Logs (default: 100 lines, 16 KiB in all). ----

  (func (export "logs_empty_forever")
    (call $touch)
    (loop $l
      (call $log (i64.const 0) (i64.const 0))
      (br $l)))
  (func (export "log_one_long_line")
    (call $touch)
    (call $log (i64.const 16385) (i64.const 0)))
  (func (export "log_fill_then_one_more")
    (call $touch)
    (call $log (i64.const 16384) (i64.const 0))
    (call $log (i64.const 1) (i64.const 0)))

  ;; ---- Events (default: 100 events, 16 KiB of kind and data each). ----

  (func (export "events_empty_forever")
    (call $touch)
    (loop $l
      (call $event (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))
      (br $l)))
  (func (export "event_long_kind")
    (call $touch)
    (call $event (i64.const 16385) (i64.const 0) (i64.const 0) (i64.const 0)))
  (func (export "event_long_data")
    (call $touch)
    (call $event (i64.const 0) (i64.const 0) (i64.const 16385) (i64.const 0)))
  (func (export "event_split_over_limit")
    (call $touch)
    (call $event (i64.const 8192) (i64.const 0) (i64.const 8193) (i64.const 0)))
  (func (export "event_split_at_limit")
    (call $event (i64.const 8192) (i64.const 0) (i64.const 8192) (i64.const 8192)))

  ;; ---- A panic message has no limit but the memory and the gas. ----
  (func (export "panic_long_message")
    (call $touch)
    (memory.fill (i32.const 0) (i32.const 0x41) (i32.const 60000))
    (call $panic (i64.const 60000) (i64.const 0)))
)

;; A guest of the embedder's test host functions (import module "test",
;; crates/conformance/src/embedder.rs) next to the guest ABI's.
(module
  (import "test" "id_i32" (func $id_i32 (param i32) (result i32)))
  (import "test" "id_i64" (func $id_i64 (param i64) (result i64)))
  (import "test" "id_f32" (func $id_f32 (param f32) (result f32)))
  (import "test" "id_f64" (func $id_f64 (param f64) (result f64)))
  (import "test" "reverse" (func $reverse (param i32 i64 f32 f64) (result f64 f32 i64 i32)))
  (import "test" "describe" (func $describe (param i32 i64 f32 f64)))
  (import "test" "sum_bytes" (func $sum_bytes (param i32 i32) (result i64)))
  (import "test" "fill" (func $fill (param i32 i32 i32)))
  (import "test" "burn" (func $burn (param i64)))
  (import "test" "fail" (func $fail (param i32)))
  (import "test" "panic" (func $panic))
  (import "test" "store" (func $store (param i64 i64) (result i32)))
  (import "test" "load" (func $load (param i64) (result i64)))
  (import "test" "log_event" (func $log_event (param i32)))
  (import "test" "to_register" (func $to_register (param i64 i64)))
  (import "test" "data" (func $data (result i64)))
  (import "test" "bad_results" (func $bad_results (result i32)))
  ;; The same function imported twice is allowed.
  (import "test" "id_i64" (func $id_i64_again (param i64) (result i64)))
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (import "env" "emit_event" (func $emit (param i64 i64 i64 i64)))
  (import "env" "storage_write" (func $storage_write (param i64 i64 i64 i64 i64) (result i64)))
  (import "env" "storage_read" (func $storage_read (param i64 i64 i64) (result i64)))
  (import "env" "register_len" (func $register_len (param i64) (result i64)))
  (import "env" "read_register" (func $read_register (param i64 i64)))
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\01\02\03\04\05")
  (data (i32.const 16) "guest log")
  (data (i32.const 32) "guest")
  (data (i32.const 40) "g")
  (data (i32.const 48) "gk")
  (data (i32.const 52) "gv")

  ;; Values through the host, bits unchanged.
  (func (export "pass_i32") (param i32) (result i32) (call $id_i32 (local.get 0)))
  (func (export "pass_i64") (param i64) (result i64) (call $id_i64_again (call $id_i64 (local.get 0))))
  (func (export "pass_f32") (param f32) (result f32) (call $id_f32 (local.get 0)))
  (func (export "pass_f64") (param f64) (result f64) (call $id_f64 (local.get 0)))
  (func (export "pass_reverse") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (call $reverse (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "describe") (param i32 i64 f32 f64)
    (call $describe (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  ;; NaN constants with payloads (a signalling positive f32, a signalling
  ;; negative f64): constants and calls are bit moves, never canonicalised.
  (func (export "nan_consts") (result f32 f64)
    (call $id_f32 (f32.const nan:0x200001))
    (call $id_f64 (f64.const -nan:0x4000000000001)))

  ;; Guest memory through the host.
  (func (export "sum") (param i32 i32) (result i64)
    (call $sum_bytes (local.get 0) (local.get 1)))
  (func (export "fill_sum") (param i32 i32 i32) (result i64)
    (call $fill (local.get 0) (local.get 1) (local.get 2))
    (call $sum_bytes (local.get 0) (local.get 1)))

  ;; Gas charged by the host.
  (func (export "burn") (param i64) (call $burn (local.get 0)))
  (func (export "store") (param i64 i64) (result i32)
    (call $store (local.get 0) (local.get 1)))

  ;; Storage through the context, seen by the guest and back.
  (func (export "store_load") (param i64 i64) (result i64)
    (drop (call $store (local.get 0) (local.get 1)))
    (call $load (local.get 0)))
  (func (export "load") (param i64) (result i64) (call $load (local.get 0)))
  ;; The host writes key 1 = 42; the guest reads it with storage_read and
  ;; returns the value.
  (func (export "guest_reads_host_write")
    (drop (call $store (i64.const 1) (i64.const 42)))
    (i64.store (i32.const 64) (i64.const 1))
    (drop (call $storage_read (i64.const 8) (i64.const 64) (i64.const 0)))
    (call $read_register (i64.const 0) (i64.const 128))
    (call $value_return (i64.const 8) (i64.const 128)))
  ;; The guest writes key 2 = 9 with storage_write; the host reads it.
  (func (export "host_reads_guest_write") (result i64)
    (i64.store (i32.const 64) (i64.const 2))
    (i64.store (i32.const 72) (i64.const 9))
    (drop (call $storage_write (i64.const 8) (i64.const 64) (i64.const 8) (i64.const 72) (i64.const 0)))
    (call $load (i64.const 2)))

  ;; Effects of the guest and of the host, then an ending.
  (func $effects
    (call $log (i64.const 9) (i64.const 16))
    (call $emit (i64.const 5) (i64.const 32) (i64.const 1) (i64.const 40))
    (drop (call $storage_write (i64.const 2) (i64.const 48) (i64.const 2) (i64.const 52) (i64.const 0)))
    (call $log_event (i32.const 7))
    (drop (call $store (i64.const 11) (i64.const 12))))
  (func (export "effects") (call $effects))
  (func (export "effects_then_fail") (call $effects) (call $fail (i32.const 42)))
  (func (export "effects_then_panic") (call $effects) (call $panic))
  (func (export "effects_then_trap") (call $effects) unreachable)

  ;; A register set by the host, read with the ABI.
  (func (export "via_register") (param i64) (result i64 i64)
    (call $to_register (i64.const 5) (local.get 0))
    (call $read_register (i64.const 5) (i64.const 128))
    (call $register_len (i64.const 5))
    (i64.load (i32.const 128)))

  (func (export "data") (result i64) (call $data))
  (func (export "bad_results") (result i32) (call $bad_results))
)

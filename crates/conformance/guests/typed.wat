;; Exports with number parameters and results, for typed calls
;; (`Runtime::call`, `conformance run --args`).
(module
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "adding")
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mul_f32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "mul_f64") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  ;; Bit moves: NaN payloads come back unchanged.
  (func (export "id_f32") (param f32) (result f32) (local.get 0))
  (func (export "id_f64") (param f64) (result f64) (local.get 0))
  ;; Arithmetic: a NaN comes back canonical.
  (func (export "add_f64") (param f64 f64) (result f64) (f64.add (local.get 0) (local.get 1)))
  (func (export "swap") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
    (local.get 3) (local.get 2) (local.get 1) (local.get 0))
  (func (export "div_i32") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  ;; A typed call is host-linked: it logs, then returns.
  (func (export "log_add") (param i64 i64) (result i64)
    (call $log (i64.const 6) (i64.const 0))
    (i64.add (local.get 0) (local.get 1)))
  (func (export "main"))
)

;; NaN determinism. Every float operator that can produce a NaN from
;; arithmetic is canonicalised to the positive quiet NaN (0x7fc00000,
;; 0x7ff8000000000000); moves of bits (constants, reinterpret, neg, abs,
;; copysign, loads, stores, locals, calls) keep a NaN's sign and payload.
;;
;; Each export returns the bits of its result, little-endian: 4 bytes for an
;; f32, 8 for an f64. Payload NaNs are made by reinterpret: 0x7fa00001 and
;; 0x7f800001 are signalling, 0xffc12345 is a negative quiet NaN with a
;; payload; 0x7ff4000000000abc and 0x7ff0000000000001 are signalling,
;; 0xfff8000000012345 is a negative quiet NaN with a payload.
;;
;; Gas: every export is one basic block, `(call $ret32|$ret64
;; (i32|i64.reinterpret_f32|f64 EXPR))`: EXPR's operators, one simple
;; (the reinterpret) and one call; $ret32 and $ret64 are one block of
;; 4 simple, 1 store and 1 call.
(module
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)

  (func $ret32 (param $v i32)
    (i32.store (i32.const 0) (local.get $v))
    (call $value_return (i64.const 4) (i64.const 0)))
  (func $ret64 (param $v i64)
    (i64.store (i32.const 0) (local.get $v))
    (call $value_return (i64.const 8) (i64.const 0)))

  ;; ---- Canonicalised: arithmetic producing a NaN. ----

  ;; 2 simple, 1 float.
  (func (export "f32_div_zero_zero")
    (call $ret32 (i32.reinterpret_f32 (f32.div (f32.const 0) (f32.const 0)))))
  (func (export "f64_div_zero_zero")
    (call $ret64 (i64.reinterpret_f64 (f64.div (f64.const 0) (f64.const 0)))))

  ;; 1 simple, 1 float.
  (func (export "f32_sqrt_neg_one")
    (call $ret32 (i32.reinterpret_f32 (f32.sqrt (f32.const -1)))))
  (func (export "f64_sqrt_neg_one")
    (call $ret64 (i64.reinterpret_f64 (f64.sqrt (f64.const -1)))))

  ;; 3 simple, 1 float.
  (func (export "f32_add_payload")
    (call $ret32 (i32.reinterpret_f32
      (f32.add (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.const 1)))))
  (func (export "f64_add_payload")
    (call $ret64 (i64.reinterpret_f64
      (f64.add (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc)) (f64.const 1)))))

  ;; 3 simple, 1 float.
  (func (export "f32_sub_negative_payload")
    (call $ret32 (i32.reinterpret_f32
      (f32.sub (f32.const 1) (f32.reinterpret_i32 (i32.const 0xffc12345))))))
  (func (export "f64_sub_negative_payload")
    (call $ret64 (i64.reinterpret_f64
      (f64.sub (f64.const 1) (f64.reinterpret_i64 (i64.const 0xfff8000000012345))))))

  ;; A negative quiet NaN without payload times 2. 2 simple, 1 float.
  (func (export "f32_mul_negative_nan")
    (call $ret32 (i32.reinterpret_f32 (f32.mul (f32.const -nan) (f32.const 2)))))
  (func (export "f64_mul_negative_nan")
    (call $ret64 (i64.reinterpret_f64 (f64.mul (f64.const -nan) (f64.const 2)))))

  ;; 3 simple, 1 float.
  (func (export "f32_min_payload")
    (call $ret32 (i32.reinterpret_f32
      (f32.min (f32.const 1) (f32.reinterpret_i32 (i32.const 0x7fa00001))))))
  (func (export "f64_min_payload")
    (call $ret64 (i64.reinterpret_f64
      (f64.min (f64.const 1) (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc))))))
  (func (export "f32_max_payload")
    (call $ret32 (i32.reinterpret_f32
      (f32.max (f32.reinterpret_i32 (i32.const 0xffc12345)) (f32.const 1)))))
  (func (export "f64_max_payload")
    (call $ret64 (i64.reinterpret_f64
      (f64.max (f64.reinterpret_i64 (i64.const 0xfff8000000012345)) (f64.const 1)))))

  ;; Rounding of payload NaNs. 2 simple, 1 float.
  (func (export "f32_ceil_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.ceil (f32.reinterpret_i32 (i32.const 0x7fa00001))))))
  (func (export "f32_floor_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.floor (f32.reinterpret_i32 (i32.const 0xffc12345))))))
  (func (export "f32_trunc_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.trunc (f32.reinterpret_i32 (i32.const 0x7f800001))))))
  (func (export "f32_nearest_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.nearest (f32.reinterpret_i32 (i32.const 0xffffffff))))))
  (func (export "f64_ceil_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.ceil (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc))))))
  (func (export "f64_floor_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.floor (f64.reinterpret_i64 (i64.const 0xfff8000000012345))))))
  (func (export "f64_trunc_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.trunc (f64.reinterpret_i64 (i64.const 0x7ff0000000000001))))))
  (func (export "f64_nearest_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.nearest (f64.reinterpret_i64 (i64.const 0xffffffffffffffff))))))

  ;; Conversions between widths of payload NaNs. 2 simple, 1 float.
  (func (export "f64_promote_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (i32.const 0x7fa00001))))))
  (func (export "f64_promote_negative_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.promote_f32 (f32.reinterpret_i32 (i32.const 0xffc12345))))))
  (func (export "f32_demote_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc))))))
  (func (export "f32_demote_negative_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (i64.const 0xfff8000000012345))))))

  ;; The canonical NaN of a sum, negated: neg is a bit move after the
  ;; canonicalisation, so the result is 0xfff8000000000000. 4 simple, 1 float.
  (func (export "f64_neg_of_nan_sum")
    (call $ret64 (i64.reinterpret_f64
      (f64.neg (f64.add (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc)) (f64.const 1))))))

  ;; ---- Not canonicalised: moves of bits. ----

  ;; 3 simple.
  (func (export "f32_neg_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.neg (f32.reinterpret_i32 (i32.const 0x7fa00001))))))
  (func (export "f64_neg_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.neg (f64.reinterpret_i64 (i64.const 0x7ff4000000000abc))))))
  (func (export "f32_abs_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.abs (f32.reinterpret_i32 (i32.const 0xffc12345))))))
  (func (export "f64_abs_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.abs (f64.reinterpret_i64 (i64.const 0xfff8000000012345))))))

  ;; 4 simple.
  (func (export "f32_copysign_payload")
    (call $ret32 (i32.reinterpret_f32
      (f32.copysign (f32.reinterpret_i32 (i32.const 0x7fa00001)) (f32.const -1)))))
  (func (export "f64_copysign_payload")
    (call $ret64 (i64.reinterpret_f64
      (f64.copysign (f64.reinterpret_i64 (i64.const 0x7ff0000000000001)) (f64.const -1)))))

  ;; 1 simple: constants with a payload.
  (func (export "f32_const_payload")
    (call $ret32 (i32.reinterpret_f32 (f32.const nan:0x200001))))
  (func (export "f64_const_payload")
    (call $ret64 (i64.reinterpret_f64 (f64.const -nan:0x4000000000abc))))

  ;; 2 simple: reinterpret there and back.
  (func (export "f32_reinterpret_round_trip")
    (call $ret32 (i32.reinterpret_f32 (f32.reinterpret_i32 (i32.const 0x7f800001)))))
  (func (export "f64_reinterpret_round_trip")
    (call $ret64 (i64.reinterpret_f64 (f64.reinterpret_i64 (i64.const 0xfff0000000000001)))))

  ;; Identity functions: 1 simple each (one block).
  (func $id32 (param f32) (result f32) (local.get 0))
  (func $id64 (param f64) (result f64) (local.get 0))

  ;; A signalling NaN stored as an integer, loaded as a float into a local,
  ;; passed through a call and stored as a float: returns the 4 stored
  ;; bytes. One block: 8 simple, 3 loads/stores, 2 calls; $id32: 1 simple.
  (func (export "f32_load_store")
    (local $x f32)
    (i32.store (i32.const 16) (i32.const 0x7fa00001))
    (local.set $x (f32.load (i32.const 16)))
    (f32.store (i32.const 20) (call $id32 (local.get $x)))
    (call $value_return (i64.const 4) (i64.const 20)))
  (func (export "f64_load_store")
    (local $x f64)
    (i64.store (i32.const 16) (i64.const 0x7ff4000000000abc))
    (local.set $x (f64.load (i32.const 16)))
    (f64.store (i32.const 24) (call $id64 (local.get $x)))
    (call $value_return (i64.const 8) (i64.const 24)))
)

;; Metering benchmark kernel: f64 Mandelbrot set.
;;
;; `main` iterates z = z^2 + c for every point of a 192 x 128 grid (step
;; 1/64) over [-2, 1] x [-1, 1], at most 256 times per point, stores each
;; point's count as a byte of an image in memory, and returns the total
;; iteration count and a position-weighted sum of the counts (16 bytes) with
;; `value_return`.
;;
;; Float-heavy on purpose: the inner loop is eight f64 multiplies, adds and
;; subtracts and one comparison, so it shows the cost of the NaN
;; canonicalisation that follows every NaN-producing float operator.
;;
;; Memory layout:
;;   0     output (16 bytes)
;;   1024  the image, one byte per point (24576 bytes)
(module
  (import "env" "value_return" (func $value_return (param i64 i64)))
  (memory (export "memory") 1)

  ;; The escape count of c = (cr, ci), at most 256.
  (func $escape (param $cr f64) (param $ci f64) (result i32)
    (local $zr f64) (local $zi f64) (local $zr2 f64) (local $zi2 f64) (local $n i32)
    (block $escaped
      (loop $iterate
        (local.set $zr2 (f64.mul (local.get $zr) (local.get $zr)))
        (local.set $zi2 (f64.mul (local.get $zi) (local.get $zi)))
        (br_if $escaped (f64.gt (f64.add (local.get $zr2) (local.get $zi2)) (f64.const 4)))
        (local.set $zi
          (f64.add (f64.mul (f64.add (local.get $zr) (local.get $zr)) (local.get $zi)) (local.get $ci)))
        (local.set $zr (f64.add (f64.sub (local.get $zr2) (local.get $zi2)) (local.get $cr)))
        (br_if $iterate
          (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (i32.const 256)))))
    (local.get $n))

  (func (export "main")
    (local $x i32) (local $y i32) (local $n i32) (local $ci f64)
    (local $total i64) (local $weighted i64)
    (loop $rows
      (local.set $ci
        (f64.sub (f64.mul (f64.convert_i32_u (local.get $y)) (f64.const 0.015625)) (f64.const 1)))
      (local.set $x (i32.const 0))
      (loop $cols
        (local.set $n
          (call $escape
            (f64.sub (f64.mul (f64.convert_i32_u (local.get $x)) (f64.const 0.015625)) (f64.const 2))
            (local.get $ci)))
        (i32.store8 offset=1024
          (i32.add (i32.mul (local.get $y) (i32.const 192)) (local.get $x))
          (local.get $n))
        (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (local.get $n))))
        (local.set $weighted
          (i64.add
            (local.get $weighted)
            (i64.extend_i32_u
              (i32.mul (local.get $n) (i32.add (i32.mul (local.get $y) (i32.const 192)) (local.get $x))))))
        (br_if $cols
          (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 1))) (i32.const 192))))
      (br_if $rows
        (i32.lt_u (local.tee $y (i32.add (local.get $y) (i32.const 1))) (i32.const 128))))
    (i64.store (i32.const 0) (local.get $total))
    (i64.store (i32.const 8) (local.get $weighted))
    (call $value_return (i64.const 16) (i64.const 0))))

;; Invalid UTF-8 in every place the ABI requires text: log lines, event
;; kinds and panic messages (BadUtf8); event data is opaque bytes.
;;
;; Memory: an overlong "\c0\80" at 0, a surrogate "\ed\a0\80" at 2, a
;; truncated "\e2\82" at 5, a code point above U+10FFFF "\f4\90\80\80" at 7,
;; a lone continuation byte "\80" at 11, the valid "h\c3\a9llo \e2\9c\93
;; \f0\9f\98\80" (15 bytes) at 12; "x" at 27.
(module
  (import "env" "log_utf8" (func $log (param i64 i64)))
  (import "env" "emit_event" (func $event (param i64 i64 i64 i64)))
  (import "env" "panic_utf8" (func $panic (param i64 i64)))
  (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\c0\80\ed\a0\80\e2\82\f4\90\80\80\80h\c3\a9llo \e2\9c\93 \f0\9f\98\80x")

  (func $touch
    (drop (call $write (i64.const 1) (i64.const 27) (i64.const 1) (i64.const 27) (i64.const 0))))

  (func (export "log_overlong")
    (call $touch)
    (call $log (i64.const 2) (i64.const 0)))
  (func (export "log_surrogate")
    (call $touch)
    (call $log (i64.const 3) (i64.const 2)))
  (func (export "log_truncated_sequence")
    (call $log (i64.const 15) (i64.const 12))
    (call $log (i64.const 2) (i64.const 5)))
  (func (export "event_kind_above_max")
    (call $touch)
    (call $event (i64.const 4) (i64.const 7) (i64.const 1) (i64.const 27)))
  (func (export "event_kind_lone_continuation")
    (call $log (i64.const 15) (i64.const 12))
    (call $event (i64.const 1) (i64.const 11) (i64.const 0) (i64.const 0)))
  (func (export "panic_overlong")
    (call $touch)
    (call $panic (i64.const 2) (i64.const 0)))
  (func (export "panic_cut_multibyte")
    ;; The first 2 bytes of "\e2\9c\93": valid text cut inside a character.
    (call $panic (i64.const 9) (i64.const 12)))

  ;; Valid multi-byte text everywhere; invalid UTF-8 as event data is fine.
  (func (export "valid_multibyte")
    (call $log (i64.const 15) (i64.const 12))
    (call $event (i64.const 1) (i64.const 27) (i64.const 2) (i64.const 0))
    (call $event (i64.const 15) (i64.const 12) (i64.const 0) (i64.const 0)))
  (func (export "panic_multibyte")
    (call $touch)
    (call $panic (i64.const 15) (i64.const 12)))
)

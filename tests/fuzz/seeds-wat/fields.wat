(module
  (type $t (func (param i64 f32) (result f64)))
  (import "env" "g" (global $g (mut i32)))
  (memory $m 1 2)
  (table $tab 2 funcref)
  (global $x f64 (f64.const -0x1.8p+3))
  (data (memory $m) (i32.const 8) "hi\00\ff\u{48}")
  (elem (table $tab) (i32.const 0) func $f)
  (func $f (type $t) (local i32)
    block $out
      loop $l
        local.get 0 i64.eqz br_if $out
        br $l
      end
    end
    f64.const nan:0x8 f64.const inf f64.min)
  (start $s)
  (func $s (memory.fill (i32.const 0) (i32.const 1) (i32.const 2)))
  (export "f" (func $f)))

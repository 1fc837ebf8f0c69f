/* arch/undef.h — ends one ISA's instantiation: forget its vector layer so that the next
 * tier's arch/ISA/vec.h can define the same generic names. */
#undef VGS_VW
#undef VGS_VREGS
#undef VGS_FN
#undef vgs_v_load
#undef vgs_v_store
#undef vgs_v_loadn
#undef vgs_v_storen
#undef vgs_v_set1
#undef vgs_v_zero
#undef vgs_v_fma
#undef vgs_v_add
#undef vgs_v_sub
#undef vgs_v_mul
#undef vgs_v_max
#undef vgs_v_clamp
#undef vgs_v_hsum
#undef vgs_v_hmax
#undef vgs_v_exp
#undef vgs_v
#undef vgs_v_load2
#undef vgs_v_transpose
#undef VGS_NARROW_FN
#undef vgs_v_load_bf16
#undef vgs_v_loadn_bf16
#undef vgs_v_load_f16
#undef vgs_v_loadn_f16

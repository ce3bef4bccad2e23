using System.Runtime.Intrinsics.X86;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// How the int8 model stores its weights, for the int8 kernels of the CPU it runs on. On x86 without VNNI (AVX2, and
/// AVX-512 without VNNI) ONNX Runtime's uint8 × int8 kernel adds pairs of products in int16 (<c>vpmaddubsw</c>), which
/// saturates: with int8 weights the lowest cosine to fp32 on the reference rows fell to 0.971 on an AVX2-only EPYC,
/// where uint8 weights gave 0.993 (ONNX Runtime's quantization guide names the same saturation). With VNNI the
/// products go straight to int32, and int8 weights are both exact and the fastest.
/// </summary>
internal enum Int8Weights
{
    /// <summary>int8 weights, zero point 0: ONNX Runtime's u8s8 kernels (VNNI on x86, and Arm).</summary>
    Signed,

    /// <summary>uint8 weights around a zero point of 128: the u8u8 kernels, which widen to int16 before multiplying.</summary>
    Unsigned,
}

/// <summary>The <see cref="Int8Weights"/> this CPU computes exactly.</summary>
internal static class Int8WeightsForCpu
{
    private const int Avx512VnniBit = 1 << 11; // CPUID leaf 7, sub-leaf 0, ECX

    public static Int8Weights Current { get; } = SaturatesInt16() ? Int8Weights.Unsigned : Int8Weights.Signed;

    private static bool SaturatesInt16()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }
        // Avx512F.IsSupported also says the OS saves AVX-512 state, without which ONNX Runtime cannot use its VNNI kernel.
        var avx512Vnni = Avx512F.IsSupported && (X86Base.CpuId(7, 0).Ecx & Avx512VnniBit) != 0;
        return !(avx512Vnni || AvxVnni.IsSupported);
    }
}

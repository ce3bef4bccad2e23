namespace DuckEmbed.Onnx.Graph;

/// <summary>Turns the fp32 model into the one that runs at the chosen <see cref="ModelPrecision"/>.</summary>
internal static class PrecisionConversion
{
    public static byte[] Apply(byte[] model, ModelPrecision precision) => precision switch
    {
        ModelPrecision.Fp32 => model,
        ModelPrecision.Int8 => Int8Quantization.Quantize(model),
        ModelPrecision.Fp16 => Float16Conversion.Convert(model),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };
}

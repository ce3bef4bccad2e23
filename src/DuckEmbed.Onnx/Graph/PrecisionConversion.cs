namespace DuckEmbed.Onnx.Graph;

/// <summary>Turns the fp32 model into the one that runs at the chosen <see cref="ModelPrecision"/>.</summary>
/// <remarks>
/// int8 also gets its attention fused (<see cref="AttentionFusion"/>): +7 % on the CPU, and free, as the result is
/// cached. fp32 does not: it was +4 % (within this machine's noise) for +0.9 s of start-up to parse and write the
/// 90 MB graph on every run; nor fp16, a GPU precision, whose fused attention has never run on a GPU.
/// </remarks>
internal static class PrecisionConversion
{
    /// <param name="model">The fp32 ONNX model.</param>
    /// <param name="precision">The precision to convert to.</param>
    /// <param name="tokenize">The model's tokenizer, for int8 calibration (<see cref="CalibrationTexts"/>).</param>
    /// <param name="cancellationToken">Stops int8 calibration.</param>
    public static byte[] Apply(byte[] model, ModelPrecision precision, Func<string, int[]> tokenize, CancellationToken cancellationToken = default) => precision switch
    {
        ModelPrecision.Fp32 => model,
        ModelPrecision.Int8 => AttentionFusion.Apply(CalibratedInt8(model, tokenize, cancellationToken)).Model,
        ModelPrecision.Fp16 => Float16Conversion.Convert(model),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>int8 with its outlier channels found on the calibration texts, before any fusion.</summary>
    internal static byte[] CalibratedInt8(byte[] model, Func<string, int[]> tokenize, CancellationToken cancellationToken = default) =>
        Int8Quantization.Quantize(model, Int8WeightsForCpu.Current, ActivationCalibration.ChannelMaxima(
            model, Int8Quantization.QuantizableInputs(model), CalibrationTexts.All.Select(tokenize), cancellationToken));
}

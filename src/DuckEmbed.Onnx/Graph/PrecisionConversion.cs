namespace DuckEmbed.Onnx.Graph;

/// <summary>Turns the fp32 model into the one that runs at the chosen <see cref="ModelPrecision"/>.</summary>
/// <remarks>
/// int8 also gets its attention fused (<see cref="AttentionFusion"/>): +7 % on the CPU, and free, as the result is
/// cached. fp32 is fused only without the padding mask (<c>maskFree</c>, for batches of one token count), where ONNX
/// Runtime's flash-attention path makes it worth the graph edit at every start (BENCHMARKS.md, "Attention without its
/// padding mask"); with the mask it was +4 %, within the noise. fp16, a GPU precision, is not fused: its
/// fused attention has never run on a GPU.
/// </remarks>
internal static class PrecisionConversion
{
    /// <param name="model">The fp32 ONNX model.</param>
    /// <param name="precision">The precision to convert to.</param>
    /// <param name="tokenize">The model's tokenizer, for int8 calibration (<see cref="CalibrationTexts"/>).</param>
    /// <param name="maskFree">For batches of one token count only: attention fused without its padding mask (fp32 and int8).</param>
    /// <param name="cancellationToken">Stops int8 calibration.</param>
    public static byte[] Apply(byte[] model, ModelPrecision precision, Func<string, int[]> tokenize, bool maskFree = false,
        CancellationToken cancellationToken = default) => precision switch
    {
        ModelPrecision.Fp32 => maskFree ? AttentionFusion.Apply(model, keyPaddingMask: false).Model : model,
        ModelPrecision.Int8 => AttentionFusion.Apply(CalibratedInt8(model, tokenize, cancellationToken), keyPaddingMask: !maskFree).Model,
        ModelPrecision.Fp16 => Float16Conversion.Convert(model),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, null),
    };

    /// <summary>int8 with its outlier channels found on the calibration texts, before any fusion.</summary>
    internal static byte[] CalibratedInt8(byte[] model, Func<string, int[]> tokenize, CancellationToken cancellationToken = default) =>
        Int8Quantization.Quantize(model, Int8WeightsForCpu.Current, ActivationCalibration.ChannelMaxima(
            model, Int8Quantization.QuantizableInputs(model), CalibrationTexts.All.Select(tokenize), cancellationToken));
}

using System.Diagnostics.CodeAnalysis;

namespace DuckEmbed.Onnx;

/// <summary>The number format the model runs in; DuckEmbed converts the fp32 model at load time.</summary>
public enum ModelPrecision
{
    /// <summary>The model as it is: 32-bit floats, the reference.</summary>
    Fp32,

    /// <summary>Weights and activations in 16-bit floats, inputs and outputs in fp32: for GPUs.</summary>
    Fp16,

    /// <summary>Weight matrices in int8 with dynamic quantization of activations: for CPUs.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 is the precision's name")]
    Int8,
}

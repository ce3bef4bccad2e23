namespace DuckEmbed.Onnx;

/// <summary>Where ONNX Runtime runs the model.</summary>
public enum ExecutionDevice
{
    /// <summary>CUDA when its provider loads, else the CPU.</summary>
    Auto,

    /// <summary>The CPU execution provider.</summary>
    Cpu,

    /// <summary>The CUDA execution provider; failing to load it is an error.</summary>
    Cuda,
}

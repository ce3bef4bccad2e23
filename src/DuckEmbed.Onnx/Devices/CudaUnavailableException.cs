namespace DuckEmbed.Onnx.Devices;

/// <summary>The CUDA execution provider cannot be used here; the message says what is missing.</summary>
internal sealed class CudaUnavailableException : Exception
{
    public CudaUnavailableException(string message) : base(message) { }

    public CudaUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// CUDA is installed but failed (a session or its first run): worth a warning when auto falls back, unlike a
    /// machine that simply has no GPU.
    /// </summary>
    public bool Failed { get; init; }
}

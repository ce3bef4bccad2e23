namespace DuckEmbed.Onnx;

/// <summary>The CUDA execution provider cannot be used here; the message says what is missing.</summary>
internal sealed class CudaUnavailableException : Exception
{
    public CudaUnavailableException(string message) : base(message) { }

    public CudaUnavailableException(string message, Exception inner) : base(message, inner) { }
}

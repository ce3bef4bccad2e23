namespace DuckEmbed.Onnx;

/// <summary>A model cannot be loaded; the message names the file or setting and what to do.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }
}

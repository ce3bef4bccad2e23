namespace DuckEmbed.Onnx;

/// <summary>
/// A model cannot be loaded as asked; the message names the file or value and what to do, and
/// <see cref="Setting"/> says which setting it is about.
/// </summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelLoadException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception about <paramref name="setting"/>.</summary>
    public ModelLoadException(ModelSetting setting, string message, Exception? inner = null) : base(message, inner) => Setting = setting;

    /// <summary>The setting at fault, or <see cref="ModelSetting.None"/>.</summary>
    public ModelSetting Setting { get; }
}

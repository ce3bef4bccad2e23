namespace DuckEmbed.Onnx.Tokenization;

/// <summary>Receives one pre-tokenized word.</summary>
internal delegate void WordHandler<in TState>(ReadOnlySpan<char> word, TState state);

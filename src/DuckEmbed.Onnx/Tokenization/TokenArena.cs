using System.Buffers;

namespace DuckEmbed.Onnx.Tokenization;

/// <summary>
/// Where one call's token ids live between tokenizing and batching: pooled chunks that each tokenizing thread fills
/// in turn, so that a text costs no allocation of its own and the memory held is the ids themselves (a chunk's unused
/// tail aside). The ids stay valid until the arena is disposed, which returns the chunks to the pool.
/// </summary>
internal sealed class TokenArena : IDisposable
{
    // 64 Ki ids (256 KB): a few hundred texts per chunk, and below ArrayPool.Shared's largest pooled size.
    private const int ChunkSize = 1 << 16;

    private readonly BertTokenizer _tokenizer;
    private readonly List<int[]> _chunks = [];

    /// <param name="tokenizer">Writes the ids; a chunk must hold its longest text (<see cref="BertTokenizer.MaxLength"/>).</param>
    public TokenArena(BertTokenizer tokenizer)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokenizer.MaxLength, ChunkSize);
        _tokenizer = tokenizer;
    }

    /// <summary>One thread's place to write (<c>Parallel.For</c>'s local state): the chunk it is filling and how far.</summary>
    public sealed class Writer
    {
        internal int[] Chunk = [];
        internal int Used;
    }

    /// <summary>Tokenizes <paramref name="text"/> into <paramref name="writer"/>'s chunk; the ids stay until <see cref="Dispose"/>.</summary>
    public EncodedText Encode(string text, Writer writer)
    {
        if (writer.Chunk.Length - writer.Used < _tokenizer.MaxLength)
        {
            writer.Chunk = ArrayPool<int>.Shared.Rent(ChunkSize);
            writer.Used = 0;
            lock (_chunks)
            {
                _chunks.Add(writer.Chunk);
            }
        }
        var (count, truncated) = _tokenizer.Encode(text, writer.Chunk.AsSpan(writer.Used));
        var ids = writer.Chunk.AsMemory(writer.Used, count);
        writer.Used += count;
        return new EncodedText(ids, truncated);
    }

    public void Dispose()
    {
        foreach (var chunk in _chunks)
        {
            ArrayPool<int>.Shared.Return(chunk);
        }
        _chunks.Clear();
    }
}

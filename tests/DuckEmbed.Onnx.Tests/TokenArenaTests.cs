using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Tests;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Tokenizing into a caller's buffer, and into an arena's pooled chunks, gives the tokenizer's own ids without an array per text.</summary>
public sealed class TokenArenaTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    private static readonly string[] Texts = [.. ReferenceRow.All.Select(r => r.Text)];

    [Fact]
    public void Encoding_into_a_buffer_gives_the_same_ids_and_allocates_none_for_them()
    {
        var tokenizer = model.Tokenizer;
        var buffer = new int[tokenizer.MaxLength];
        foreach (var text in Texts)
        {
            tokenizer.Encode(text, buffer); // the thread's scratch state grows to its largest text once
            tokenizer.Encode(text);
        }

        var intoBuffer = Allocated(() => Array.ForEach(Texts, text => tokenizer.Encode(text, buffer)));
        var intoArrays = Allocated(() => Array.ForEach(Texts, text => tokenizer.Encode(text)));

        var idBytes = Texts.Sum(text => (long)tokenizer.Encode(text).Ids.Length * sizeof(int));
        Assert.True(intoBuffer <= intoArrays - idBytes, $"into the buffer {intoBuffer} B, into arrays {intoArrays} B, ids {idBytes} B");
        foreach (var text in Texts)
        {
            var (count, truncated) = tokenizer.Encode(text, buffer);
            var own = tokenizer.Encode(text);
            Assert.Equal(own.Ids.ToArray(), buffer[..count]);
            Assert.Equal(own.Truncated, truncated);
        }
    }

    [Fact]
    public void An_arenas_ids_equal_the_tokenizers_own_across_threads_and_chunks()
    {
        var tokenizer = model.Tokenizer;
        // Enough texts for several 64 Ki-id chunks per thread.
        var texts = Enumerable.Range(0, 12).SelectMany(_ => Texts).ToArray();
        var encoded = new EncodedText[texts.Length];

        using (var arena = new TokenArena(tokenizer))
        {
            Parallel.For(0, texts.Length, () => new TokenArena.Writer(), (i, _, writer) =>
            {
                encoded[i] = arena.Encode(texts[i], writer);
                return writer;
            }, _ => { });

            Assert.True(encoded.Sum(e => (long)e.Ids.Length) > 3 * 65536, "the texts fill several chunks");
            for (var i = 0; i < texts.Length; i++)
            {
                Assert.Equal(tokenizer.Encode(texts[i]), encoded[i] with { Ids = encoded[i].Ids.ToArray() }, EncodedTextComparer.Instance);
            }
        }
    }

    private static long Allocated(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private sealed class EncodedTextComparer : IEqualityComparer<EncodedText>
    {
        public static readonly EncodedTextComparer Instance = new();

        public bool Equals(EncodedText x, EncodedText y) => x.Truncated == y.Truncated && x.Ids.Span.SequenceEqual(y.Ids.Span);

        public int GetHashCode(EncodedText obj) => obj.Ids.Length;
    }
}

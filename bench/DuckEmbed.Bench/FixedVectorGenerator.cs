using Microsoft.Extensions.AI;

namespace DuckEmbed.Bench;

/// <summary>A generator that costs nothing: every text gets the same 384 floats. Measures the processor alone.</summary>
internal sealed class FixedVectorGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Embedding<float> _embedding = new(Enumerable.Range(0, 384).Select(i => i / 384f).ToArray());

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyCollection<string> ?? values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            result.Add(_embedding);
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

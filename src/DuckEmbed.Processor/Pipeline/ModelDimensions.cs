using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor.Pipeline;

/// <summary>The length of a generator's vectors, from its metadata.</summary>
internal static class ModelDimensions
{
    /// <summary>What <paramref name="generator"/>'s metadata says; <c>null</c> where it says nothing.</summary>
    public static int? Of(IEmbeddingGenerator generator) =>
        (generator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata)?.DefaultModelDimensions;
}

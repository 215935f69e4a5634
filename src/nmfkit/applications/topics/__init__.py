"""Topics of documents: ``TopicModel``, corpora, coherence and the HTML report."""

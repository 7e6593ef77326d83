// Fixture theme: the search page's script.
document.documentElement.dataset.fixture = 'search';

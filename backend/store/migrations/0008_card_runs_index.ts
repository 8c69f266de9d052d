/** A card's history reads the runs of the cards.* tools on it: indexed, so it stays quick as every board change adds a run. */
export default `
CREATE INDEX runs_card_key ON runs ((input->>'card_key')) WHERE tool LIKE 'cards.%';
`;

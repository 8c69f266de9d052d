/** Cards get a priority and can be archived (kept with their history, off the board). */
export default `
ALTER TABLE cards
  ADD COLUMN priority text NOT NULL DEFAULT 'none' CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent')),
  ADD COLUMN archived boolean NOT NULL DEFAULT false;
CREATE INDEX cards_archived ON cards (archived, lane, position);
`;

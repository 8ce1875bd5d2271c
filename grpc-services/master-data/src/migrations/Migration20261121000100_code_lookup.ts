import { Migration } from '@core/platform';

/**
 * Customers and branches are also fetched by their document code (CUSTOMER_NUMBER,
 * ORGANIZATION_CODE), not only by their Oracle id key. Partial expression indexes keep those
 * lookups off a scan of every customer row.
 */
export class Migration20261121000100CodeLookup extends Migration {
  override up(): void {
    this.addSql(
      "CREATE INDEX md_record_customer_number_idx ON md_record ((data->>'CUSTOMER_NUMBER')) WHERE entity = 'customer'",
    );
    this.addSql("CREATE INDEX md_record_branch_code_idx ON md_record ((data->>'ORGANIZATION_CODE')) WHERE entity = 'branch'");
  }

  override down(): void {
    this.addSql('DROP INDEX IF EXISTS md_record_branch_code_idx');
    this.addSql('DROP INDEX IF EXISTS md_record_customer_number_idx');
  }
}
